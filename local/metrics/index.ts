export * from './alarm-evaluation';
export * from './alarms';
export * from './store';

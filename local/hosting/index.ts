export * from './deploy-artifact';
export * from './errors';
export * from './hosting';
export * from './model';
export * from './routing';
export * from './server';

export * from './config';
export * from './render-asl';
export * from './retraining-definition';
export * from './retraining-state-machine';
export * from './retry';
export * from './state-names';

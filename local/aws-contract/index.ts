export * from './constraints';
export * from './errors';
export * from './requests';
export type { AwsService } from './schema';
export * from './sdk-client';
export type { Casing, Violation } from './validate';

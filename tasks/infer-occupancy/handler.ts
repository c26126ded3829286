import { createHandler, defaultDeps } from './lambda';

/**
 * Lambda entry behind the Serving stack's IoT rule (rule-sql.ts). Config and clients are built once per
 * instance at module load (no I/O: the first socket opens on the first reading); lambda.ts has the shape.
 */
export const handler = createHandler(defaultDeps());

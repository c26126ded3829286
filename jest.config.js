/**
 * Suites that `npm test` runs on their own, one at a time, after the parallel run (`OCCUPANCY_SOLO_SUITES=1 jest`):
 * they measure what a busy neighbour worker changes.
 * - lake-compaction: its reader must see a compaction in another process half done, which a busy second worker can
 *   hide (seen once: every read saw one state).
 * - inference/live: 20 rooms answered within 1 s with the handler's default 300 ms invoke timeout. Under a busy
 *   neighbour (p50 108 ms, p99 739 ms) one invoke after the endpoint came back timed out and fell back, as the
 *   handler should on any machine that slow.
 */
const soloSuites = ['<rootDir>/test/local/lake-compaction.test.ts', '<rootDir>/test/inference/live.test.ts'];
const solo = process.env.OCCUPANCY_SOLO_SUITES === '1';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: solo ? soloSuites : ['**/*.test.ts'],
  testPathIgnorePatterns: solo ? ['/node_modules/'] : ['/node_modules/', ...soloSuites],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  // @middy/core 6 and hyparquet ship ESM only; Jest's CommonJS runtime needs it transformed like our sources.
  transformIgnorePatterns: ['/node_modules/(?!@middy/|hyparquet/)'],
  setupFiles: ['<rootDir>/test/setup.ts'],
  testTimeout: 60000,
  // One worker per core (Jest's default leaves one core to itself): many suites wait on timers, child processes and
  // sockets, so on the 2-core CI machine two workers took the suite from ~14.7 to ~8.7 minutes. The solo suites
  // (above) run afterwards on one worker.
  maxWorkers: solo ? 1 : '100%',
};

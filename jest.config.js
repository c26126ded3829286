/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  // @middy/core 6 and hyparquet ship ESM only; Jest's CommonJS runtime needs it transformed like our sources.
  transformIgnorePatterns: ['/node_modules/(?!@middy/|hyparquet/)'],
  setupFiles: ['<rootDir>/test/setup.ts'],
  testTimeout: 60000,
  // One worker per core (Jest's default leaves one core to itself): many suites wait on timers, child processes and
  // sockets, so on the 2-core CI machine two workers took the suite from ~14.7 to ~8.7 minutes. `npm test` runs
  // test/local/lake-compaction.test.ts on its own afterwards: its reader must see a compaction in another process
  // half done, which a busy second worker can hide (seen once: every read saw one state).
  maxWorkers: '100%',
};

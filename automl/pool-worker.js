// Candidate pool worker entry: registers tsx so the TypeScript training code runs without a build step, under
// `npx tsx` and under jest alike (as worker.js does for the job's thread).
require('tsx/cjs/api').register();
require('./candidate-worker.ts').serveCandidates();

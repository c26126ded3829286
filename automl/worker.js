// Worker entry: registers tsx so the TypeScript training code runs off the main thread without a build
// step, under `npx tsx` and under jest alike.
require('tsx/cjs/api').register();
require('./train-worker.ts');

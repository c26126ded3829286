import { LocalLake } from '../../local/lake';

/** A child process for the compaction tests: compacts the lake in argv[2] (a test kills it mid-way). */
async function main(): Promise<void> {
  const lake = LocalLake.open(process.argv[2] ?? '');
  const report = await lake.compact({ lockWaitMs: 30_000 });
  lake.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

void main();

/**
 * `npm run bench:pipeline`: one `npm start -- --auto-approve --once` run on a fresh state folder, as a
 * user's first run (simulate → synthesize → export → AutoML → evaluate → approve → deploy). Prints one
 * JSON object {seconds, outcome, states: {<state>: seconds}}; `seconds` is the whole command's wall time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const stateDir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
const started = process.hrtime.bigint();
const result = spawnSync(
  process.execPath,
  [join(root, 'bin', 'occupancy.js'), 'start', '--auto-approve', '--once', '--json', '--state-dir', stateDir],
  { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
rmSync(stateDir, { recursive: true, force: true });
if (result.status !== 0 && !result.stdout) {
  process.stderr.write(`bench:pipeline: the run failed (exit ${result.status})\n`);
  process.exit(1);
}
const summary = JSON.parse(result.stdout) as { outcome: string; seconds: number; states: Record<string, number> };
process.stdout.write(
  `${JSON.stringify({ seconds: Math.round(seconds * 100) / 100, execution_seconds: summary.seconds, outcome: summary.outcome, states: summary.states })}\n`,
);
process.exit(result.status ?? 1);

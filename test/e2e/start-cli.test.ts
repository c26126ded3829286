import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateNames } from '../../pipeline/state-names';
import { freshStateDir } from './helpers';

/**
 * `npm start` with no flags: it prints the approval link and waits; `occupancy approve <run>` from a
 * second terminal (another process) completes the run, which deploys.
 */
jest.setTimeout(240_000);

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'occupancy.js');

it('waits at the printed approval link until `occupancy approve <run>` from another process', async () => {
  const stateDir = freshStateDir();
  writeFileSync(
    join(stateDir, 'config.json'),
    JSON.stringify({ autoML: { maxCandidates: 2, maxRuntimePerTrainingJobSeconds: 600, maxJobRuntimeSeconds: 1000 } }),
  );
  const child = spawn(process.execPath, [BIN, 'start', '--state-dir', stateDir, '--port', '0', '--mqtt-port', '0'], {
    cwd: ROOT,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    const waitFor = async (pattern: RegExp, text: () => string): Promise<RegExpMatchArray> => {
      for (;;) {
        const match = pattern.exec(text());
        if (match) return match;
        if (child.exitCode !== null) throw new Error(`start exited ${child.exitCode}: ${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const [, link] = await waitFor(/approval: open (http:\/\/127\.0\.0\.1:\d+\/approval\?\S+)/, () => stderr);
    const [, runName] = await waitFor(/or run: npx occupancy approve (\S+) --state-dir /, () => stderr);
    expect(link).toContain(`run=${runName}`);
    // The link is live: GET opens the console's run page with approval rights (and decides nothing).
    const page = await fetch(link ?? '');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`"run":"${runName}"`);
    expect(html).toContain('"actions":["approve","reject"]');

    const status = spawnSync(process.execPath, [BIN, 'status', '--state-dir', stateDir, '--json'], {
      encoding: 'utf8',
    });
    expect(JSON.parse(status.stdout).pendingApprovals).toEqual([runName]);

    const approve = spawnSync(process.execPath, [BIN, 'approve', runName ?? '', '--state-dir', stateDir], {
      encoding: 'utf8',
    });
    expect(approve.status).toBe(0);
    expect(approve.stdout).toContain('approved');
    await waitFor(/outcome deployed/, () => stdout);
    expect(stdout).toContain(`run ${runName}: SUCCEEDED, outcome deployed`);
    // It keeps serving until stopped: live inference over MQTT on what it deployed.
    await waitFor(/live inference: MQTT mqtt:\/\/127\.0\.0\.1:\d+/, () => stderr);
    await waitFor(/serving; next retraining in/, () => stderr);
    expect(child.exitCode).toBeNull();
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    rmSync(stateDir, { recursive: true, force: true });
  }
});

/**
 * `npm start -- --auto-approve --once` as a new user sees it (stderr not a TTY): one line per phase, polling
 * loops folded, AutoML progress per candidate while it runs, expected conditions in words, each link once.
 */
it('`start --auto-approve --once` prints no state name on more than two lines and shows AutoML progress', () => {
  const stateDir = freshStateDir();
  try {
    const result = spawnSync(
      process.execPath,
      [BIN, 'start', '--auto-approve', '--once', '--state-dir', stateDir, '--port', '0', '--mqtt-port', '0'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(result.status).toBe(0);
    const output = `${result.stderr}${result.stdout}`;
    const lines = output.split('\n');
    const over = Object.values(StateNames)
      .map((name) => ({ name, lines: lines.filter((l) => new RegExp(`\\b${name}\\b`).test(l)).length }))
      .filter((s) => s.lines > 2);
    expect(over).toEqual([]);
    // AutoML progress while the job runs: a line per candidate, before the polling loop's one line.
    const candidates = lines.filter((l) => /AutoML \[[#.]+\] candidate \d+\/\d+ done/.test(l));
    expect(candidates.length).toBeGreaterThanOrEqual(2);
    const loop = lines.findIndex((l) => /⟳ WaitAutoML → DescribeAutoML: polled \d+× over/.test(l));
    expect(loop).toBeGreaterThan(lines.indexOf(candidates.at(-1) ?? ''));
    expect(output).not.toContain('handled by its Catch');
    expect(output).not.toContain('console.aws.amazon.com');
    const approvalLinks = output.match(/\/approval\?run=/g) ?? [];
    expect(approvalLinks).toHaveLength(1);
    // s3:// keys come with their local file; hints are copy-pasteable with the state dir in use.
    expect(output).toMatch(/s3:\/\/\S+\n\s+local file: \S+/);
    expect(output).toContain(`npx occupancy status --state-dir ${stateDir}`);
    expect(output).toMatch(/run \S+: SUCCEEDED, outcome deployed/);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

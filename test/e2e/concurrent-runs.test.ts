import { type ChildProcess, fork } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLake } from '../../local/lake';
import type { ExecutionRecord } from '../../local/runtime/executions';
import { StateNames } from '../../pipeline/state-names';
import type { Reading } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';
import { freshStateDir, outcomeOf, TEST_CONFIG, visited } from './helpers';

/**
 * Two runs on one state folder, in two processes, released by one barrier at the same instant: exactly one takes
 * the single-run lock and proceeds, the other ends already-running, in every trial. The lake is one quiet day (the
 * run that proceeds ends insufficient-data within a second or two, releasing the lock), so a trial is cheap.
 */
jest.setTimeout(300_000);

const TRIALS = 10;
const CHILD = join(__dirname, 'concurrent-run-child.ts');

type Reply = { started?: true; ready?: true; record?: ExecutionRecord; error?: string };

class Child {
  readonly process: ChildProcess;
  private readonly replies: Reply[] = [];
  private waiter: ((reply: Reply) => void) | undefined;
  private stderr = '';

  constructor() {
    this.process = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.process.on('message', (reply: Reply) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(reply);
      } else this.replies.push(reply);
    });
  }

  /** The next reply; a child that reports an error fails the test with its message. */
  async next(): Promise<Reply> {
    const reply = this.replies.shift() ?? (await new Promise<Reply>((resolve) => (this.waiter = resolve)));
    if (reply.error) throw new Error(`child ${this.process.pid}: ${reply.error}\n${this.stderr}`);
    return reply;
  }

  send(message: object): void {
    this.process.send(message);
  }
}

const readText = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // replaced by an atomic rename between the listing and the read
  }
};

/** Items of the local lock table (one file per item under `<state>/dynamodb/<table>/`). */
function lockItems(stateDir: string): string[] {
  const tables = join(stateDir, 'dynamodb');
  if (!existsSync(tables)) return [];
  return readdirSync(tables).flatMap((t) => readdirSync(join(tables, t)).filter((f) => f.endsWith('.json')));
}

function quietLake(): string {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-concurrent-lake-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(TEST_CONFIG));
  const lake = LocalLake.open(dir, THERMOSTAT);
  const start = Date.UTC(2026, 0, 7);
  const readings: Reading[] = [];
  for (let t = start; t < start + 86_400_000; t += 600_000) {
    readings.push({
      thingName: 'room-00',
      ts: t,
      values: { temperature: 21, humidity: 40, sound: 2, hvac_status: 'OFF' },
    });
  }
  lake.appendReadings(
    readings,
    readings.map((r) => r.ts),
  );
  lake.appendLabels([{ thingName: 'room-00', ts: start, occupied: false }]);
  lake.close();
  return dir;
}

describe('two runs released by one barrier', () => {
  const dirs: string[] = [];
  const children: Child[] = [];
  beforeAll(async () => {
    children.push(new Child(), new Child());
    await Promise.all(children.map((c) => c.next()));
  });
  afterAll(() => {
    for (const child of children) child.process.kill();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it(`exactly one proceeds, the other ends already-running, in ${TRIALS} of ${TRIALS} trials`, async () => {
    const template = quietLake();
    dirs.push(template);

    const trials: { proceeded: number; alreadyRunning: number; namesHolder: boolean; lockLeft: boolean }[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const stateDir = mkdtempSync(join(tmpdir(), 'e2e-concurrent-'));
      dirs.push(stateDir);
      cpSync(template, stateDir, { recursive: true });
      for (const child of children) child.send({ stateDir });
      await Promise.all(children.map((c) => c.next()));
      // The barrier: both children are ready; one tick releases both.
      for (const child of children) child.send({ go: true });
      const records = (await Promise.all(children.map((c) => c.next()))).map((r) => r.record as ExecutionRecord);

      const proceeded = records.filter((r) => visited(r).includes(StateNames.PlanSplit));
      const alreadyRunning = records.filter(
        (r) => outcomeOf(r) === 'already-running' && !visited(r).includes(StateNames.PlanSplit),
      );
      for (const r of proceeded) expect(outcomeOf(r)).toBe('insufficient-data');
      // The one that did not proceed names the one that did (the lock's holder).
      const namesHolder = alreadyRunning.every(
        (r) => (r.output as { heldBy?: string }).heldBy === proceeded[0]?.executionArn,
      );
      // The run that proceeded released the lock: no item is left in the lock table's folder.
      trials.push({
        proceeded: proceeded.length,
        alreadyRunning: alreadyRunning.length,
        namesHolder,
        lockLeft: lockItems(stateDir).length > 0,
      });
    }
    expect(trials).toEqual(Array(TRIALS).fill({ proceeded: 1, alreadyRunning: 1, namesHolder: true, lockLeft: false }));
  });

  it('a lock left by a run killed with SIGKILL is freed by the next run, which proceeds', async () => {
    const [holder, next] = children as [Child, Child];
    const stateDir = freshStateDir(); // a 4-room, 10-day lake: the first run is in AutoML for a while
    dirs.push(stateDir);
    holder.send({ stateDir });
    await holder.next();
    holder.send({ go: true });
    const executions = join(stateDir, 'executions');
    const inAutoML = () =>
      readdirSync(executions)
        .filter((f) => f.endsWith('.json'))
        .some((f) => readText(join(executions, f)).includes(StateNames.StartAutoML));
    while (!inAutoML()) await new Promise((r) => setTimeout(r, 100));
    holder.process.kill('SIGKILL');
    await new Promise((r) => holder.process.once('exit', r));
    expect(lockItems(stateDir)).toHaveLength(1);

    // The next run fails fast after the lock (an injected AutoML failure): it must get past the lock first.
    next.send({ stateDir, faults: ['automl-failed'] });
    await next.next();
    next.send({ go: true });
    const record = (await next.next()).record as ExecutionRecord;
    expect(visited(record)).toEqual(
      expect.arrayContaining([
        StateNames.ReleaseStaleRunLock,
        StateNames.StartAutoML,
        StateNames.ReleaseRunLockOnFailure,
      ]),
    );
    expect(record.cause).toMatch(/automl-failed/);
    expect(lockItems(stateDir)).toEqual([]);
  });
});

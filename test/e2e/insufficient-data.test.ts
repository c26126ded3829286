import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baselineReport } from '../../local/baseline';
import { formatSummary, summarize } from '../../local/commands/run';
import { simulateIntoLake } from '../../local/commands/simulate';
import { LocalLake } from '../../local/lake';
import type { LocalStack } from '../../local/runtime/local-stack';
import { StateNames } from '../../pipeline/state-names';
import type { LabelEvent, Reading } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';
import { answerApproval, deployIncumbent, invoke, outcomeOf, startStack, TEST_CONFIG, visited } from './helpers';

/**
 * Lakes whose newest days hold no occupied reading (the UCI-like case: a few days recorded, the last ones quiet).
 * The fraction split would give a holdout of one class, where every model and baseline scores F1 0. The run must
 * either move the cutoffs (and say so) or end as `insufficient-data`, naming what is missing, the endpoint untouched.
 */
jest.setTimeout(240_000);

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 7); // a Wednesday
const ROOMS = ['room-00', 'room-01', 'room-02', 'room-03'];

function quietReading(thingName: string, ts: number): Reading {
  // Never one value for long: a sensor held at one value for sensorHealth.stuckMinutes is flagged stuck and left out.
  const wobble = ((ts / 60_000) % 5) * 0.1;
  return {
    thingName,
    ts,
    values: { temperature: 21 + wobble, humidity: 40 + wobble, sound: 2 + wobble, hvac_status: 'OFF' },
  };
}

/** Empty rooms from `from` for `days` days, one reading a minute, each room labelled empty at `from`. */
function appendQuietDays(dir: string, from: number, days: number): void {
  const lake = LocalLake.open(dir, THERMOSTAT);
  const readings: Reading[] = [];
  for (const room of ROOMS) for (let t = from; t < from + days * DAY; t += 60_000) readings.push(quietReading(room, t));
  lake.appendReadings(
    readings,
    readings.map((r) => r.ts),
  );
  lake.appendLabels(ROOMS.map((thingName): LabelEvent => ({ thingName, ts: from, occupied: false })));
  lake.close();
}

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-insufficient-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(TEST_CONFIG));
  return dir;
}

const notifications = (dir: string): { subject: string; message: string }[] =>
  readFileSync(join(dir, 'notifications.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

describe('a lake whose newest days hold no occupied reading', () => {
  const dirs: string[] = [];
  let stack: LocalStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('too few occupied readings anywhere: insufficient-data, what is missing, endpoint untouched', async () => {
    // Three days of empty rooms, except 10:00–10:44 on the first day in every room: 4 × 45 = 180 occupied
    // readings, all in the oldest 15 % of the time: validation and holdout can never hold 50.
    const dir = stateDir();
    dirs.push(dir);
    appendQuietDays(dir, START, 3);
    const lake = LocalLake.open(dir, THERMOSTAT);
    lake.appendLabels(
      ROOMS.flatMap((thingName): LabelEvent[] => [
        { thingName, ts: START + 10 * 3_600_000, occupied: true },
        { thingName, ts: START + 10 * 3_600_000 + 45 * 60_000, occupied: false },
      ]),
    );
    lake.close();
    // `occupancy baseline` runs the same split plan and refuses the same way.
    const reading = LocalLake.open(dir);
    await expect(baselineReport(reading, join(dir, 'baseline'))).rejects.toThrow(
      /^insufficient-data: validation .* has 0 occupied readings; need ≥ 50; holdout .* has 0 occupied readings/,
    );
    reading.close();

    stack = await startStack(dir);
    await deployIncumbent(stack);
    const before = await invoke(stack);
    const record = await stack.startExecution().done;

    expect(outcomeOf(record)).toBe('insufficient-data');
    const states = visited(record);
    expect(states).toEqual(expect.arrayContaining([StateNames.PlanSplit, StateNames.MarkInsufficientData]));
    for (const never of [StateNames.ExportDataset, StateNames.StartAutoML, StateNames.Evaluate, StateNames.Deploy]) {
      expect(states).not.toContain(never);
    }
    const output = record.output as { evaluation: { reasons: string[]; promote: boolean } };
    expect(output.evaluation.promote).toBe(false);
    const [reason] = output.evaluation.reasons;
    expect(reason).toMatch(/holdout 2026-01-09 \d\d:\d\d\.\.2026-01-09 23:59 has 0 occupied readings; need ≥ 50/);
    expect(reason).toMatch(
      /validation 2026-01-09 \d\d:\d\d\.\.2026-01-09 \d\d:\d\d has 0 occupied readings; need ≥ 50/,
    );
    const notified = notifications(dir).find((n) => n.subject.includes('insufficient-data'));
    expect(notified?.message).toContain(reason);
    // What `occupancy run` prints: the outcome, then what is missing.
    const summary = summarize(record, stack);
    expect(summary.split).toBe(reason);
    expect(formatSummary(summary)).toContain(`outcome insufficient-data`);
    expect(formatSummary(summary)).toContain(`  - ${reason}`);
    expect(await invoke(stack)).toBe(before);
  });

  it('enough occupied readings before the quiet days: the cutoffs move, are reported, and the holdout has both classes', async () => {
    // Six simulated working days, then two quiet days: the newest 15 % by time are all empty.
    const dir = stateDir();
    dirs.push(dir);
    simulateIntoLake(dir, ROOMS.length, 6, 1, START);
    appendQuietDays(dir, START + 6 * DAY, 2);
    const reading = LocalLake.open(dir);
    const baseline = await baselineReport(reading, join(dir, 'baseline'));
    reading.close();
    expect(baseline.split).toMatch(/^cutoffs moved from the fractions/);
    expect(baseline.baselines.every((b) => b.positives >= 50)).toBe(true);

    stack = await startStack(dir);
    const execution = stack.startExecution();
    // A candidate that clears the gate waits for a person: approve it, and stop asking once the run ended.
    const stopAnswering = answerApproval(stack, execution.name, 'approve');
    const record = await execution.done.finally(stopAnswering);

    expect(['deployed', 'not-promoted', 'rejected']).toContain(outcomeOf(record));
    const plan = record.states.find((s) => s.name === StateNames.ReadSplitPlan && s.status === 'succeeded')?.output as {
      splitPlan: { status: string; message: string; holdoutStart: string };
    };
    expect(plan.splitPlan.status).toBe('ok');
    expect(plan.splitPlan.message).toMatch(/^cutoffs moved from the fractions/);
    expect(Number(plan.splitPlan.holdoutStart)).toBeLessThan(START + 6 * DAY);
    // Reported: in the run's output, what `occupancy run` prints, and the notification.
    expect(formatSummary(summarize(record, stack))).toContain(`  split: ${plan.splitPlan.message}`);
    expect((record.output as { splitPlan: { message: string } }).splitPlan.message).toBe(plan.splitPlan.message);
    expect(notifications(dir).some((n) => n.message.includes(`Split: ${plan.splitPlan.message}`))).toBe(true);
    const evaluate = record.states.find((s) => s.name === StateNames.Evaluate && s.status === 'succeeded')?.output as {
      evaluation: { candidate: { positives: number; rows: number } };
    };
    expect(evaluate.evaluation.candidate.positives).toBeGreaterThanOrEqual(50);
    expect(evaluate.evaluation.candidate.rows - evaluate.evaluation.candidate.positives).toBeGreaterThanOrEqual(50);
  });
});

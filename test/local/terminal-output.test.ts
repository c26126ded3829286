import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FolderObjectStore } from '../../local/adapters/s3';
import { type AutoMLProgressSource, describeDeployment, RunTerminal } from '../../local/terminal';

/**
 * The terminal of `npm start` / `occupancy run` fed the runtime's progress lines (as LocalStack and the runner
 * print them): polling folded, links once, expected conditions in words, local paths beside s3:// keys.
 */

const POLL_LINES = [
  '[5.4s] → StartAutoML',
  '[5.4s] → WaitAutoML',
  '[6.6s] → DescribeAutoML',
  '[6.7s] → WaitAutoML',
  '           AutoML: candidate 1/6',
  '[7.8s] → DescribeAutoML',
  '[7.9s] → WaitAutoML',
  '[9.1s] → DescribeAutoML',
  '[9.1s] → WaitAutoML',
  '[10.3s] → DescribeAutoML',
  '[15.3s] → PrepareCandidateContainers',
];

function capture(isTTY: boolean) {
  let text = '';
  return {
    out: {
      isTTY,
      write: (chunk: string) => {
        text += chunk;
        return true;
      },
    },
    text: () => text,
  };
}

const countLines = (text: string, word: string) =>
  text.split('\n').filter((l) => new RegExp(`\\b${word}\\b`).test(l)).length;

describe('RunTerminal', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'terminal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('folds a polling loop into one line with its count and duration (not a TTY)', () => {
    const { out, text } = capture(false);
    const terminal = new RunTerminal({ out, stateDir: dir });
    for (const l of POLL_LINES) terminal.line(l);
    terminal.close();
    const lines = text().trimEnd().split('\n');
    expect(lines).toContain('[10.3s] ⟳ WaitAutoML → DescribeAutoML: polled 4× over 4.9s');
    expect(countLines(text(), 'WaitAutoML')).toBe(2);
    expect(countLines(text(), 'DescribeAutoML')).toBe(2);
    expect(text()).not.toContain('AutoML: candidate 1/6'); // the runtime's note is replaced by the poller's lines
    expect(lines.at(-1)).toBe('[15.3s] → PrepareCandidateContainers');
  });

  it('starts afresh for each execution (start retrains on a schedule in the same terminal)', () => {
    const { out, text } = capture(false);
    const terminal = new RunTerminal({ out, stateDir: dir });
    for (const run of ['run-1', 'run-2']) {
      terminal.line(`execution ${run} started`);
      terminal.line('[0.1s] → GuardSingleRun');
      terminal.line('[0.2s] → PlanSplit');
    }
    terminal.close();
    expect(text().match(/→ PlanSplit/g)).toHaveLength(2);
    expect(text()).not.toContain('⟳');
  });

  it('updates the loop line in place on a TTY (\\r + clear line) and leaves one final line', () => {
    const { out, text } = capture(true);
    const terminal = new RunTerminal({ out, stateDir: dir });
    for (const l of POLL_LINES) terminal.line(l);
    terminal.close();
    const updates = text().split('\r\x1b[2K');
    expect(updates.filter((u) => u.startsWith('[') && u.includes('polling')).length).toBeGreaterThanOrEqual(4);
    // What stays on screen: each line once.
    const finalLines = text()
      .split('\n')
      .map((l) => l.split('\r\x1b[2K').at(-1) ?? '');
    expect(finalLines.filter((l) => l.includes('⟳'))).toEqual([
      '[10.3s] ⟳ WaitAutoML → DescribeAutoML: polled 4× over 4.9s',
    ]);
  });

  it('reports each AutoML candidate as it finishes, with a bar, even when several finish between polls', async () => {
    let completed = 0;
    const automl: AutoMLProgressSource = {
      listJobs: () => ['job-1'],
      describe: () => ({
        AutoMLJobStatus: 'InProgress',
        CreationTime: new Date(),
        Progress: { CandidatesCompleted: completed, CandidatesTotal: 6 },
      }),
      listCandidates: () => [
        { CandidateStatus: 'Completed', FinalAutoMLJobObjectiveMetric: { MetricName: 'F1', Value: 0.9 } },
      ],
    };
    const { out, text } = capture(false);
    const terminal = new RunTerminal({ out, stateDir: dir, automl, pollMs: 5 });
    terminal.line('[5.4s] → StartAutoML');
    const tick = () => new Promise((r) => setTimeout(r, 30));
    completed = 1;
    await tick();
    completed = 4; // three finish between two polls: each still gets its line
    await tick();
    completed = 6;
    await tick();
    terminal.close();
    const progress = text()
      .split('\n')
      .filter((l) => l.includes('AutoML ['));
    expect(progress.map((l) => /candidate (\d)\/6 done/.exec(l)?.[1])).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(progress[0]).toMatch(/AutoML \[###\.+\] candidate 1\/6 done \(\d+\.\ds\); best F1 so far 0\.900/);
  });

  it('on a TTY, shows candidates in the live line and leaves one summary line when AutoML is over', async () => {
    let completed = 0;
    const automl: AutoMLProgressSource = {
      listJobs: () => ['job-1'],
      describe: () => ({
        AutoMLJobStatus: 'InProgress',
        CreationTime: new Date(),
        Progress: { CandidatesCompleted: completed, CandidatesTotal: 2 },
      }),
      listCandidates: () => [
        { CandidateStatus: 'Completed', FinalAutoMLJobObjectiveMetric: { MetricName: 'F1', Value: 0.8 } },
      ],
    };
    const { out, text } = capture(true);
    const terminal = new RunTerminal({ out, stateDir: dir, automl, pollMs: 5 });
    terminal.line('[1.0s] → StartAutoML');
    completed = 1;
    await new Promise((r) => setTimeout(r, 30));
    completed = 2;
    await new Promise((r) => setTimeout(r, 30));
    terminal.line('[9.0s] → PrepareCandidateContainers');
    terminal.close();
    expect(text()).toContain('\r\x1b[2K           AutoML [##########..........] candidate 1/2 done');
    expect(text().match(/AutoML: 2 candidates; best F1 0\.800/g)).toHaveLength(1);
    expect(text().indexOf('AutoML: 2 candidates')).toBeLessThan(text().indexOf('→ PrepareCandidateContainers'));
  });

  it('reports a canary bake while the endpoint is polled: share of traffic and phase, each change once', async () => {
    let view: Parameters<typeof describeDeployment>[0] = { EndpointStatus: 'InService' };
    const { out, text } = capture(false);
    const terminal = new RunTerminal({ out, stateDir: dir, endpoint: () => describeDeployment(view), pollMs: 5 });
    const variant = (current: number, status: string) => ({
      PendingDeploymentSummary: {
        ProductionVariants: [{ CurrentWeight: current, DesiredWeight: 1, VariantStatus: [{ Status: status }] }],
      },
    });
    terminal.line('[1.0s] → WaitEndpoint');
    terminal.line('[1.1s] → PollEndpoint');
    terminal.line('[1.2s] → WaitEndpoint');
    view = { EndpointStatus: 'Updating', ...variant(0, 'Creating') };
    await new Promise((r) => setTimeout(r, 30));
    view = { EndpointStatus: 'Updating', ...variant(0.1, 'Baking') };
    await new Promise((r) => setTimeout(r, 30));
    terminal.line('[1.3s] → PollEndpoint');
    view = { EndpointStatus: 'InService' };
    await new Promise((r) => setTimeout(r, 30));
    terminal.line('[2.0s] → CheckDeployment');
    terminal.close();
    const lines = text().split('\n');
    expect(lines.filter((l) => l.includes('endpoint Updating'))).toEqual([
      '           endpoint Updating: new config [..........] 0% of traffic, Creating',
      '           endpoint Updating: new config [#.........] 10% of traffic, Baking',
    ]);
    expect(lines.filter((l) => l.trim() === 'endpoint InService')).toHaveLength(2); // before and after the update
    expect(lines).toContain('[1.3s] ⟳ WaitEndpoint → PollEndpoint: polled 2× over 0.3s');
  });

  it('says an expected condition in plain words and a caught error without a failure look', () => {
    const { out, text } = capture(false);
    const terminal = new RunTerminal({ out, stateDir: dir });
    terminal.line('[15.3s] → FindServingEndpoint');
    terminal.line(
      '[15.3s] ↷ FindServingEndpoint: SageMaker.ValidationException: Could not find endpoint "occupancy". (handled by its Catch)',
    );
    terminal.line('[16.0s] ↷ SomethingElse: States.TaskFailed: boom (handled by its Catch)');
    expect(text()).toContain('[15.3s]   FindServingEndpoint: no endpoint yet: this run will create it');
    expect(text()).not.toContain('ValidationException');
    expect(text()).toContain(
      'SomethingElse: States.TaskFailed, handled by the state machine (its Catch); the run goes on',
    );
  });

  it('prints the approval link once, copy-pasteable commands with the state dir, no AWS console link', () => {
    const { out, text } = capture(false);
    const store = new FolderObjectStore(dir);
    const uri = 's3://artifacts-bucket/runs/r1/evaluation/evaluation.json';
    mkdirSync(dirname(store.pathOf(uri)), { recursive: true });
    writeFileSync(store.pathOf(uri), '{}');
    const terminal = new RunTerminal({ out, stateDir: dir });
    terminal.attach({ localPathOf: (u) => store.pathOf(u), consoleUrl: () => 'http://127.0.0.1:9999' });
    const link = 'http://127.0.0.1:9999/approval?run=r1&action=approve&token=abc';
    terminal.line(
      [
        '\n[notify] occupancy: approve model from run r1?',
        '  A candidate passed the gate.',
        '  ',
        `  Approve: ${link}`,
        '  Reject:  http://127.0.0.1:9999/approval?run=r1&action=reject&token=def',
        '  ',
        '  Or decide in the SageMaker model registry: https://local.console.aws.amazon.com/sagemaker/home?region=local#/x',
        `  Details: ${uri}`,
        '',
      ].join('\n'),
    );
    terminal.line(`           approve: ${link}\n           or run: occupancy approve r1`);
    terminal.line(`           approve: ${link}\n           or run: occupancy approve r1`);
    terminal.close();
    expect(text().split(link).length - 1).toBe(1);
    expect(text()).not.toContain('console.aws.amazon.com');
    expect(text()).toContain('Or decide in the local console: http://127.0.0.1:9999');
    expect(text()).toContain(`or run: npx occupancy approve r1 --state-dir ${dir}`);
    expect(text()).toContain(`local file: ${store.pathOf(uri)}`);
    expect(text()).not.toMatch(/\n\s*\n\s*\n/);
  });
});

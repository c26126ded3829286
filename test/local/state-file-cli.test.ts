import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ExecutionStore } from '../../local/runtime/executions';
import { cliInProcess } from './cli-in-process';

/**
 * Every kind of state file × every way it is found broken: `status` still answers (exit 0), shows the good run and
 * lists the bad file; `run` refuses with exit 2 naming the file; neither prints a stack trace or a class name.
 */

const GOOD_RUN = 'run-20260101-000000-good';
const arn = 'arn:aws:states:local:000000000000';

interface Kind {
  readonly name: string;
  /** Path of the file inside the state folder. */
  readonly path: string;
  readonly valid: unknown;
  readonly wrongShape: unknown;
}

const KINDS: Kind[] = [
  {
    name: 'execution record',
    path: 'executions/run-20260101-000000-bad0.json',
    valid: {
      executionArn: `${arn}:execution:occupancy-retraining:run-20260101-000000-bad0`,
      name: 'run-20260101-000000-bad0',
      stateMachineArn: `${arn}:stateMachine:occupancy-retraining`,
      status: 'SUCCEEDED',
      startDate: 1,
      stopDate: 2,
      input: {},
      output: { outcome: 'deployed' },
      pid: 1,
      states: [{ name: 'ReadSplitPlan', type: 'Task', status: 'succeeded', enteredAt: 1, exitedAt: 2 }],
    },
    wrongShape: { name: 'run-20260101-000000-bad0', startDate: null, states: 'none' },
  },
  {
    name: 'alarms.json',
    path: 'metrics/alarms.json',
    valid: [
      {
        AlarmName: 'occupancy-variant-5xx',
        MetricName: 'Invocation5XXErrors',
        Namespace: 'AWS/SageMaker',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      },
    ],
    wrongShape: { AlarmName: 'occupancy-variant-5xx' },
  },
  {
    name: 'alarm-states.json',
    path: 'metrics/alarm-states.json',
    valid: { 'occupancy-variant-5xx': { state: 'OK', reason: 'Threshold Crossed', stateUpdated: 1 } },
    wrongShape: { 'occupancy-variant-5xx': { state: 'RED' } },
  },
  {
    name: 'lake manifest',
    path: 'lake/manifest.json',
    valid: { signalSet: 'thermostat' },
    wrongShape: { signalSet: 5 },
  },
  {
    name: 'config.json',
    path: 'config.json',
    valid: { gate: { margin: 0.02 } },
    wrongShape: ['gate', 0.02],
  },
  {
    name: 'approval record',
    path: 'approvals/run-20260101-000000-appr.json',
    valid: {
      runId: 'run-20260101-000000-appr',
      taskToken: 'token-1',
      executionArn: `${arn}:execution:occupancy-retraining:run-20260101-000000-appr`,
      modelPackageArn: 'arn:aws:sagemaker:us-east-1:000000000000:model-package/occupancy/1',
      approveSecretHash: 'a'.repeat(64),
      rejectSecretHash: 'b'.repeat(64),
      createdAt: 1,
      expiresAt: 2,
      status: 'pending',
    },
    wrongShape: { runId: 'run-20260101-000000-appr', status: 'maybe' },
  },
  {
    name: 'registry package',
    path: 'registry/occupancy/1.json',
    valid: {
      ModelPackageArn: 'arn:aws:sagemaker:us-east-1:000000000000:model-package/occupancy/1',
      ModelPackageGroupName: 'occupancy',
      ModelPackageVersion: 1,
      ModelApprovalStatus: 'Approved',
      CreationTime: '2026-01-01T00:00:00.000Z',
    },
    wrongShape: { ModelPackageArn: 'arn:aws:sagemaker:x', ModelApprovalStatus: 'Yes' },
  },
  {
    name: 'task-token pending file',
    path: 'task-tokens/pending/0123456789abcdef0123456789abcdef.json',
    valid: { token: 'token-2', runId: 'run-20260101-000000-tokn', state: 'AwaitApproval', since: 1 },
    wrongShape: { token: 5 },
  },
];

const CORRUPTIONS: Array<[string, (kind: Kind) => string]> = [
  [
    'truncated',
    (k) => {
      const text = JSON.stringify(k.valid, null, 2);
      return text.slice(0, Math.floor(text.length / 2));
    },
  ],
  ['empty', () => ''],
  ['null', () => 'null'],
  ['wrong shape', (k) => JSON.stringify(k.wrongShape)],
];

const cli = cliInProcess;

const NO_STACK = /\n\s+at /;
const CLASS_NAME = /\b[A-Z][A-Za-z]*(Error|Exception)\b/;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'state-file-cli-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function stateDirWith(kind: Kind, text: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(root, 'sd-'));
  // One good run beside the bad file: status must still show it.
  new ExecutionStore(dir).save({
    executionArn: `${arn}:execution:occupancy-retraining:${GOOD_RUN}`,
    name: GOOD_RUN,
    stateMachineArn: `${arn}:stateMachine:occupancy-retraining`,
    status: 'SUCCEEDED',
    startDate: 1_767_225_600_000,
    stopDate: 1_767_225_660_000,
    input: {},
    output: { outcome: 'not-promoted' },
    pid: 1,
    states: [],
  });
  const file = join(dir, kind.path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return { dir, file };
}

describe.each(KINDS)('a broken $name', (kind) => {
  it.each(CORRUPTIONS)('%s: status exits 0 listing it, run exits 2 naming it, no stack trace', async (_, corrupt) => {
    const { dir, file } = stateDirWith(kind, corrupt(kind));

    const status = await cli(['status', '--state-dir', dir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(GOOD_RUN);
    expect(status.stdout).toContain('bad state files');
    expect(status.stdout).toContain(file);
    expect(status.stdout).toMatch(/move it aside|fix it/);
    for (const text of [status.stdout, status.stderr]) {
      expect(text).not.toMatch(NO_STACK);
      expect(text).not.toMatch(CLASS_NAME);
    }

    const json = await cli(['status', '--state-dir', dir, '--json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { runs: { name: string }[]; badStateFiles: { file: string }[] };
    expect(parsed.runs.map((r) => r.name)).toContain(GOOD_RUN);
    expect(parsed.badStateFiles.map((b) => b.file)).toEqual([file]);

    const run = await cli(['run', '--state-dir', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(file);
    expect(run.stderr).not.toMatch(NO_STACK);
    expect(run.stderr).not.toMatch(CLASS_NAME);
  });
});

import type { StaticRule } from '../../pipeline/config';
import { decide } from '../../tasks/approval';
import { type SignalSet, THERMOSTAT } from '../../telemetry/signals';
import { BrokerTaskCallback } from '../adapters/approvals';
import { parseCommand, progress, setProgressSink, signalSetFlag, UsageError } from '../args';
import { LocalLake } from '../lake';
import { loadLocalConfig } from '../local-config';
import { recoverInterruptedRunsAtStart } from '../runtime/crash-recovery';
import type { ExecutionRecord } from '../runtime/executions';
import { parseFaults } from '../runtime/faults';
import { LocalStack } from '../runtime/local-stack';
import { assertStateFilesReadable } from '../state-check';
import { closingHints, describeDeployment, RunTerminal } from '../terminal';
import { simulateIntoLake } from './simulate';
import { RUN } from './specs';

/** What `occupancy run --json` prints: the outcome of one execution of the synthesized state machine. */
export interface RunSummary {
  readonly executionArn: string;
  readonly name: string;
  readonly status: ExecutionRecord['status'];
  readonly outcome: string;
  readonly seconds: number;
  readonly candidate: MetricSummary | null;
  readonly baselines: Array<{ name: string } & MetricSummary>;
  readonly serving: MetricSummary | null;
  readonly decision: { promote: boolean; reasons: string[] } | null;
  /** The split plan's message: the time cutoffs chosen, or what the data lacks (features/split-plan.ts). */
  readonly split: string | null;
  readonly endpoint: {
    name: string;
    status: string;
    config: string;
    variants: { name: string; weight: number }[];
  } | null;
  readonly states: Record<string, number>;
  readonly error?: string;
  readonly cause?: string;
  /** `already-running`: the execution holding the single-run lock, and since when. */
  readonly heldBy?: { executionArn: string; since: string };
}

interface MetricSummary {
  readonly f1: number;
  readonly precision: number;
  readonly recall: number;
  readonly accuracy: number;
  readonly rocAuc?: number;
}

interface Metricish extends MetricSummary {
  readonly [key: string]: unknown;
}

const pick = (m: Metricish | null | undefined): MetricSummary | null =>
  m ? { f1: m.f1, precision: m.precision, recall: m.recall, accuracy: m.accuracy, rocAuc: m.rocAuc } : null;

/** Seconds spent per state (summed over poll iterations). */
export function stateSeconds(record: ExecutionRecord): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of record.states) {
    if (s.exitedAt === undefined) continue;
    out[s.name] = Math.round(((out[s.name] ?? 0) + (s.exitedAt - s.enteredAt) / 1000) * 1000) / 1000;
  }
  return out;
}

export function summarize(record: ExecutionRecord, stack: LocalStack): RunSummary {
  const output = (record.output ?? {}) as {
    outcome?: string;
    heldBy?: string;
    heldSince?: string;
    splitPlan?: { message?: string };
    evaluation?: {
      candidate?: Metricish;
      baselines?: { name: string; metrics: Metricish }[];
      serving?: Metricish | null;
      promote?: boolean;
      reasons?: string[];
    };
  };
  const evaluation =
    output.evaluation ??
    (
      record.states.findLast((s) => s.name === 'Evaluate' && s.status === 'succeeded')?.output as
        | { evaluation?: typeof output.evaluation }
        | undefined
    )?.evaluation;
  const endpointName = stack.options.config.endpointName;
  let endpoint: RunSummary['endpoint'] = null;
  try {
    const described = stack.hosting.describeEndpoint({ EndpointName: endpointName });
    endpoint = {
      name: endpointName,
      status: String(described.EndpointStatus),
      config: String(described.EndpointConfigName),
      variants: (described.ProductionVariants ?? []).map((v) => ({
        name: String(v.VariantName),
        weight: Number(v.CurrentWeight ?? 0),
      })),
    };
  } catch {
    endpoint = null;
  }
  return {
    executionArn: record.executionArn,
    name: record.name,
    status: record.status,
    outcome: record.status === 'SUCCEEDED' ? (output.outcome ?? 'unknown') : 'failed',
    seconds: Math.round(((record.stopDate ?? Date.now()) - record.startDate) / 10) / 100,
    candidate: pick(evaluation?.candidate),
    baselines: (evaluation?.baselines ?? []).map((b) => ({ name: b.name, ...(pick(b.metrics) as MetricSummary) })),
    serving: pick(evaluation?.serving),
    decision: evaluation ? { promote: Boolean(evaluation.promote), reasons: evaluation.reasons ?? [] } : null,
    split:
      output.splitPlan?.message ??
      (
        record.states.findLast((s) => s.name === 'ReadSplitPlan' && s.status === 'succeeded')?.output as
          | { splitPlan?: { message?: string } }
          | undefined
      )?.splitPlan?.message ??
      null,
    endpoint,
    states: stateSeconds(record),
    ...(record.error ? { error: record.error, cause: record.cause } : {}),
    ...(output.heldBy ? { heldBy: { executionArn: output.heldBy, since: String(output.heldSince ?? '') } } : {}),
  };
}

/**
 * Answers a run's approval as soon as it waits, as `occupancy approve|reject` would: `--auto-approve`, and
 * tests standing in for a person. Returns a function that stops waiting.
 */
export function answerWhenWaiting(
  stack: LocalStack,
  runName: string,
  decision: 'approve' | 'reject' = 'approve',
  decidedBy = 'auto-approve',
): () => void {
  const timer = setInterval(async () => {
    const record = await stack.approvals.get(runName);
    if (record?.status !== 'pending') return;
    clearInterval(timer);
    await decide(record, decision, 'cli', decidedBy, {
      store: stack.approvals,
      callback: new BrokerTaskCallback(stack.broker),
    });
  }, 100);
  return () => clearInterval(timer);
}

export interface RunOptions {
  readonly stateDir: string;
  readonly autoApprove: boolean;
  readonly faults: readonly string[];
  readonly rooms?: number;
  readonly days?: number;
  readonly timeScale?: number;
  readonly approvalBaseUrl?: string;
  /** `--signal-set`: simulated into an empty lake, or checked against the lake's. */
  readonly signalSet?: SignalSet;
}

/**
 * Simulates a fleet into an empty lake so a first run has data to learn from: the `--signal-set` given, else the
 * thermostat. A config naming another built-in set has nothing to simulate: that data must be imported. With a
 * lake already there, a `--signal-set` must be the lake's own.
 */
export function ensureLakeHasData(stateDir: string, rooms = 10, days = 14, signalSet?: SignalSet): void {
  if (LocalLake.exists(stateDir)) {
    if (signalSet) LocalLake.open(stateDir, signalSet).close();
    return;
  }
  const wanted = loadLocalConfig(stateDir).signalSetId;
  if (!signalSet && wanted !== THERMOSTAT.id) {
    throw new UsageError(
      `No lake in ${stateDir} and config.json names signal set "${wanted}": the simulator makes "${THERMOSTAT.id}" ` +
        `readings only (or a --signal-set FILE's); run \`occupancy import\` with your "${wanted}" data first`,
    );
  }
  progress(`no lake in ${stateDir}: simulating ${rooms} rooms × ${days} days`);
  simulateIntoLake(stateDir, rooms, days, 1, undefined, signalSet);
}

export const describeStaticRule = (rule: StaticRule | null): string =>
  rule ? `${rule.signal} > ${rule.level}` : 'none (the best single-signal threshold is the bar)';

export async function runOnce(options: RunOptions): Promise<RunSummary> {
  // Progress reads as one line per phase on stderr (polling folded, AutoML per candidate); stdout is the summary.
  const terminal = new RunTerminal({ out: process.stderr, stateDir: options.stateDir });
  const restore = setProgressSink(terminal.line);
  try {
    return await runWith(options, terminal);
  } finally {
    terminal.close();
    restore();
  }
}

async function runWith(options: RunOptions, terminal: RunTerminal): Promise<RunSummary> {
  const faults = parseFaults(options.faults);
  // A run whose process is gone is marked interrupted and what it left waiting withdrawn (bad files are skipped).
  recoverInterruptedRunsAtStart(options.stateDir, progress);
  // A state file that cannot be read back stops the run here, named, before anything is simulated or run.
  assertStateFilesReadable(options.stateDir);
  // A config SageMaker would refuse fails here, before a lake is simulated or any state runs.
  loadLocalConfig(options.stateDir);
  ensureLakeHasData(options.stateDir, options.rooms, options.days, options.signalSet);
  // The lake decides the signal set (and with it the default static rule) the state machine is synthesized for.
  const config = loadLocalConfig(options.stateDir);
  progress(`signal set ${config.signalSetId}; static rule ${describeStaticRule(config.staticRule)}`);
  progress('synthesizing the retraining state machine (CDK)…');
  const stack = await LocalStack.start({
    stateDir: options.stateDir,
    config,
    faults,
    timeScale: options.timeScale,
    approvalBaseUrl: options.approvalBaseUrl,
    onProgress: progress,
  });
  terminal.attach({
    automl: stack.automl,
    localPathOf: (uri) => stack.store.pathOf(uri),
    endpoint: () => describeDeployment(stack.hosting.describeEndpoint({ EndpointName: config.endpointName })),
  });
  try {
    const execution = stack.startExecution();
    progress(`execution ${execution.name} started`);
    const stopAutoApprove = options.autoApprove ? answerWhenWaiting(stack, execution.name) : () => undefined;
    const record = await execution.done;
    stopAutoApprove();
    return summarize(record, stack);
  } finally {
    await stack.close();
  }
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, RUN);
  let summary: RunSummary;
  try {
    summary = await runOnce({
      stateDir: values['state-dir'],
      autoApprove: values['auto-approve'],
      faults: values['inject-fault'],
      signalSet: signalSetFlag(values['signal-set']),
    });
  } catch (error) {
    if (error instanceof Error && error.name === 'UnknownFaultError')
      throw new UsageError(error.message, { cause: error });
    throw error;
  }
  process.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
  if (!values.json) progress(closingHints(values['state-dir'], summary.name).join('\n'));
  return summary.status === 'SUCCEEDED' ? 0 : 1;
}

export function formatSummary(s: RunSummary): string {
  const f = (m: MetricSummary | null) => (m ? `F1 ${m.f1.toFixed(3)}` : 'none');
  const lines = [
    `run ${s.name}: ${s.status}, outcome ${s.outcome} (${s.seconds}s)`,
    ...(s.heldBy
      ? [
          `  another run holds the single-run lock: ${s.heldBy.executionArn.split(':').pop()} (started ${s.heldBy.since})`,
        ]
      : []),
    ...(s.split ? [`  split: ${s.split}`] : []),
    `  candidate ${f(s.candidate)}; serving ${f(s.serving)}; ${s.baselines.map((b) => `${b.name} ${f(b)}`).join('; ')}`,
    ...(s.decision?.reasons ?? []).map((r) => `  - ${r}`),
    s.endpoint ? `  endpoint ${s.endpoint.name}: ${s.endpoint.status} on ${s.endpoint.config}` : '  endpoint: none',
  ];
  if (s.error) lines.push(`  error ${s.error}: ${s.cause ?? ''}`);
  return lines.join('\n');
}

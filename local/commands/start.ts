import { type FlagValues, intFlag, parseCommand, progress, setProgressSink, signalSetFlag, UsageError } from '../args';
import { startConsole } from '../console';
import { startServing } from '../iot/serving';
import { inferenceEnv, loadLocalConfig } from '../local-config';
import { recoverInterruptedRunsAtStart } from '../runtime/crash-recovery';
import { parseFaults } from '../runtime/faults';
import { LocalStack } from '../runtime/local-stack';
import { scheduleIntervalMs } from '../schedule';
import { closingHints, describeDeployment, RunTerminal } from '../terminal';
import {
  answerWhenWaiting,
  describeStaticRule,
  ensureLakeHasData,
  formatSummary,
  type RunSummary,
  summarize,
} from './run';
import { START } from './specs';

/**
 * `npm start`: the local stack, one retraining run now (it waits for approval at the printed URL or
 * `occupancy approve <run>`), then serving the endpoint and retraining on the configured schedule.
 * `--auto-approve --once` runs one execution to completion and exits with its summary.
 */
export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, START);
  const stateDir = values['state-dir'];
  // One line per phase on stderr (polling folded, AutoML per candidate, links once); stdout is the run summary.
  const terminal = new RunTerminal({ out: process.stderr, stateDir });
  const restore = setProgressSink(terminal.line);
  try {
    return await start(values, terminal);
  } finally {
    terminal.close();
    restore();
  }
}

async function start(values: FlagValues<typeof START>, terminal: RunTerminal): Promise<number> {
  const stateDir = values['state-dir'];
  let faults: ReturnType<typeof parseFaults>;
  try {
    faults = parseFaults(values['inject-fault']);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const port = intFlag(values.port, 'port', 8765, 0, 65_535);
  // A run whose process is gone is marked interrupted and what it left waiting withdrawn (bad files are skipped).
  recoverInterruptedRunsAtStart(stateDir, progress);
  ensureLakeHasData(
    stateDir,
    intFlag(values.rooms, 'rooms', 10, 1, 10_000),
    intFlag(values.days, 'days', 14, 1, 3650),
    signalSetFlag(values['signal-set']),
  );
  // The lake decides the signal set (and with it the default static rule) the state machine is synthesized for.
  const config = loadLocalConfig(stateDir);
  progress(`signal set ${config.signalSetId}; static rule ${describeStaticRule(config.staticRule)}`);
  progress('synthesizing the retraining state machine (CDK)…');
  const stack = await LocalStack.start({ stateDir, config, faults, onProgress: progress });
  const consoleServer = await startConsole(stack, { port });
  stack.approvalBaseUrl = consoleServer.url;
  terminal.attach({
    automl: stack.automl,
    localPathOf: (uri) => stack.store.pathOf(uri),
    consoleUrl: () => consoleServer.url,
    endpoint: () => describeDeployment(stack.hosting.describeEndpoint({ EndpointName: config.endpointName })),
  });
  progress(`console (runs, approval, endpoint, dashboards): ${consoleServer.url}`);
  progress(`endpoint host (SageMaker Runtime InvokeEndpoint): ${stack.endpointUrl}`);

  const runOne = async (input: Record<string, string> = {}): Promise<RunSummary> => {
    const execution = stack.startExecution(undefined, input);
    progress(`execution ${execution.name} started`);
    const stop = values['auto-approve'] ? answerWhenWaiting(stack, execution.name) : () => undefined;
    const record = await execution.done;
    stop();
    const summary = summarize(record, stack);
    process.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
    if (!values.json) progress(closingHints(stateDir, summary.name).join('\n'));
    return summary;
  };

  const shutdown = async (): Promise<void> => {
    await consoleServer.close();
    await stack.close();
  };

  if (values.once) {
    try {
      return (await runOne()).status === 'SUCCEEDED' ? 0 : 1;
    } finally {
      await shutdown();
    }
  }

  await runOne();
  // Live inference on what the run deployed (or the threshold fallback until something is deployed).
  const serving = await startServing({
    stateDir,
    hosting: stack.hosting,
    mqttPort: intFlag(values['mqtt-port'], 'mqtt-port', 1883, 0, 65_535),
    // The handler infers for the lake's signal set, with its static rule as the fallback, as on AWS.
    env: inferenceEnv(config),
  });
  stack.liveShadows = () => serving.shadows.documents();
  progress(
    `live inference: MQTT ${serving.connection.mqttUrl} — try \`npx occupancy simulate --live --rooms 20 --state-dir ${stateDir}\``,
  );
  const { intervalMs, note } = scheduleIntervalMs(config.schedule.expression);
  if (note) progress(note);
  progress(
    `serving; next retraining in ${Math.round(intervalMs / 60_000)} min (${config.schedule.expression}). Ctrl-C stops.`,
  );
  const timer = setInterval(() => {
    // The input infra/stacks/pipeline-stack.ts's RetrainingSchedule gives (pipeline/phases/cooldown.ts reads it).
    runOne({ trigger: 'schedule' }).catch((error: unknown) =>
      progress(`scheduled run failed to start: ${String(error)}`),
    );
  }, intervalMs);
  // The live monitor on its own schedule; its alarms start retraining on evidence (local/runtime/evidence.ts).
  const monitoring = stack.evidence.startSchedule((error: unknown) => progress(`monitor run failed: ${String(error)}`));
  progress(`monitoring live quality (${config.monitoring.schedule.expression}); its alarms start retraining`);
  // The sensor health check on its schedule; its alarms notify (local/runtime/sensor-health.ts).
  const sensors = stack.sensorHealth?.startSchedule((error: unknown) =>
    progress(`sensor check failed: ${String(error)}`),
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(timer);
      monitoring.close();
      sensors?.close();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  progress('stopping…');
  await serving.close();
  await shutdown();
  return 0;
}

import { intFlag, parseCommand, progress } from '../args';
import { describeSwitch } from '../iot/follow-deployments';
import { type ServeStats, startServing } from '../iot/serving';
import { DEFAULT_MAX_SHADOWS, DEFAULT_SHADOW_IDLE_MS } from '../iot/shadow-service';
import { inferenceEnv, loadLocalConfig } from '../local-config';
import { SERVE } from './specs';

/**
 * `occupancy serve`: the local AWS IoT side of live inference — MQTT broker, device shadows, the inference rule
 * calling the handler, the IoT data plane, the endpoint host (serving what the pipeline deployed, or `--model`),
 * and lake ingestion. Runs until SIGINT/SIGTERM. Follows deployments other processes (`occupancy run`) make in the
 * same state dir, keeps at most `--max-devices` devices' state, and refuses MQTT packets over AWS IoT's 128 KB.
 */

/** The progress line: answers, the bounds at work (evictions, refused packets). */
export function statsLine(s: ServeStats): string {
  const r = s.rule;
  return (
    `serve: ${r.matched} readings answered-or-in-flight, ${r.skipped} documents skipped, ${r.failed} failed; ` +
    `${s.shadows} device shadows (${s.shadowsEvicted} evicted), ${s.oversized} oversized packets refused` +
    (s.lake?.lastError
      ? `; lake appends failing (${s.lake.failedFlushes} so far, rows kept for a retry, ${s.lake.dropped} dropped): ${s.lake.lastError}`
      : '')
  );
}
export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, SERVE);
  const maxDevices = intFlag(values['max-devices'], 'max-devices', DEFAULT_MAX_SHADOWS, 1, 1_000_000);
  const idleMinutes = intFlag(
    values['device-idle-minutes'],
    'device-idle-minutes',
    DEFAULT_SHADOW_IDLE_MS / 60_000,
    1,
    7 * 24 * 60,
  );
  // The handler infers for the lake's signal set, with its static rule as the fallback, as the Serving stack sets it.
  const env: Record<string, string> = inferenceEnv(loadLocalConfig(values['state-dir']));
  if (values['invoke-timeout-ms'] !== undefined) {
    env.INVOKE_TIMEOUT_MS = String(intFlag(values['invoke-timeout-ms'], 'invoke-timeout-ms', 300, 10, 60_000));
  }
  const stack = await startServing({
    stateDir: values['state-dir'],
    mqttPort: intFlag(values['mqtt-port'], 'mqtt-port', 1883, 0, 65_535),
    endpointPort: intFlag(values['endpoint-port'], 'endpoint-port', 0, 0, 65_535),
    dataPlanePort: intFlag(values['data-plane-port'], 'data-plane-port', 0, 0, 65_535),
    env,
    ...(values.model === undefined ? {} : { modelArtifactPath: values.model }),
    maxDevices,
    deviceIdleMs: idleMinutes * 60_000,
    onDeploymentChange: (change) => progress(`serve: ${describeSwitch(change)}`),
    onDeploymentError: (error) =>
      progress(`serve: cannot follow deployments: ${error instanceof Error ? error.message : String(error)}`),
  });
  const endpoints = stack.hosting.listEndpoints();
  if (values.json) process.stdout.write(`${JSON.stringify(stack.connection)}\n`);
  else {
    process.stdout.write(
      [
        `MQTT broker     ${stack.connection.mqttUrl}`,
        `IoT data plane  ${stack.connection.dataPlaneUrl}`,
        `Endpoint host   ${stack.connection.endpointUrl} (${stack.config.endpointName}: ${
          endpoints.find((e) => e.EndpointName === stack.config.endpointName)?.EndpointStatus ??
          'not deployed — answers use the threshold fallback'
        })`,
        'Run `occupancy simulate --live --rooms 20` in another terminal; Ctrl-C stops.',
        '',
      ].join('\n'),
    );
  }
  // --json: one stats object per line on stdout after the connection line; otherwise a progress line on stderr.
  const ticker = setInterval(() => {
    const stats = stack.stats();
    if (values.json) process.stdout.write(`${JSON.stringify({ stats })}\n`);
    else progress(statsLine(stats));
  }, 10_000);
  ticker.unref();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(ticker);
  await stack.close();
  return 0;
}

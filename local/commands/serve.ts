import { intFlag, parseCommandArgs, progress, STATE_DIR_OPTION } from '../args';
import { startServing } from '../iot/serving';
import { inferenceEnv, loadLocalConfig } from '../local-config';

/**
 * `occupancy serve`: the local AWS IoT side of live inference — MQTT broker, device shadows, the inference rule
 * calling the handler, the IoT data plane, the endpoint host (serving what the pipeline deployed, or `--model`),
 * and lake ingestion. Runs until SIGINT/SIGTERM.
 */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    ...STATE_DIR_OPTION,
    'mqtt-port': { type: 'string' },
    'endpoint-port': { type: 'string' },
    'data-plane-port': { type: 'string' },
    model: { type: 'string' },
    'invoke-timeout-ms': { type: 'string' },
    json: { type: 'boolean', default: false },
  });
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
  const ticker = setInterval(() => {
    const r = stack.rule.stats;
    progress(`serve: ${r.matched} readings answered-or-in-flight, ${r.skipped} documents skipped, ${r.failed} failed`);
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

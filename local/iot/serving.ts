import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { INFERENCE_SERVICE, METRICS_NAMESPACE } from '../../pipeline/state-names';
import { type InferenceConfig, parseInferenceConfig } from '../../tasks/infer-occupancy/config';
import { DeviceHistory } from '../../tasks/infer-occupancy/history';
import type { InferenceHandler, InferenceLogger, InferenceOutcome } from '../../tasks/infer-occupancy/infer';
import { buildDeps, createHandler } from '../../tasks/infer-occupancy/lambda';
import { type LocalDeliveryStream, startLocalFirehose } from '../aws-endpoints/firehose';
import { lambdaContext } from '../aws-endpoints/lambda-context';
import type { AdoptedEndpoint } from '../hosting/adopt';
import { deployArtifact } from '../hosting/deploy-artifact';
import { LocalHosting } from '../hosting/hosting';
import { type InvocationServer, startInvocationServer } from '../hosting/server';
import { LocalLake } from '../lake';
import { MetricStore } from '../metrics/store';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../runtime/identity';
import { type LocalBroker, startBroker } from './broker';
import { type DataPlaneServer, startDataPlane } from './data-plane';
import { type DeploymentFollower, followDeployments } from './follow-deployments';
import { ForwardingLogger, LocalStoreMetrics } from './local-metrics';
import { type LakeDeliveryStats, PredictionsDelivery, SensorFaultsDelivery } from './predictions-delivery';
import { InferenceRule, type InferenceRuleStats, LakeIngestion, type LakeIngestionStats } from './rules';
import { DEFAULT_MAX_SHADOWS, DEFAULT_SHADOW_IDLE_MS, ShadowService } from './shadow-service';

/**
 * `occupancy serve` as a library: broker + shadow service + data plane + endpoint host + the inference rule wired
 * to the Lambda's own handler (createHandler with its middlewares and SDK clients, pointed at the local HTTP
 * servers) + lake ingestion.
 * `npm start` can embed it with its own LocalHosting.
 */

const SERVICE = INFERENCE_SERVICE;
/** The predictions delivery stream's name locally (on AWS, the Ingestion stack's stream, set by the Serving stack). */
export const LOCAL_PREDICTIONS_STREAM = 'occupancy-predictions';
/** The sensor_faults delivery stream's name locally (on AWS, the Ingestion stack's, set by the Serving stack). */
export const LOCAL_SENSOR_FAULTS_STREAM = 'occupancy-sensor-faults';
/** The Serving stack's inference function timeout (nodeFunction's default). */
const LAMBDA_TIMEOUT_MS = 30_000;

export interface ServingOptions {
  /** Lake and hosting state live here; omit for a memory-only stack without lake ingestion. */
  readonly stateDir?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** MQTT port; 0 picks a free one. @default 0 */
  readonly mqttPort?: number;
  /** @default 0 */
  readonly endpointPort?: number;
  /** @default 0 */
  readonly dataPlanePort?: number;
  /** Reuse a hosting (the pipeline's); else one is created over `stateDir`. */
  readonly hosting?: LocalHosting;
  /** Deploy this model artifact (JSON file) as the endpoint when no endpoint of that name exists. */
  readonly modelArtifactPath?: string;
  /** Handler environment overrides (INVOKE_TIMEOUT_MS, ENDPOINT_NAME, …), as the Serving stack would set them. */
  readonly env?: Readonly<Record<string, string>>;
  /** @default a Powertools Logger at WARN; a plain logger receives the handler's records (tests). */
  readonly logger?: Logger | InferenceLogger;
  /** Called with every handler outcome (tests, progress). */
  readonly onOutcome?: (outcome: InferenceOutcome) => void;
  /**
   * Ingest new readings and labels into the lake in `stateDir`, and the handler's prediction and sensor fault
   * records (through the local Firehose). @default true when stateDir is set
   */
  readonly ingest?: boolean;
  /**
   * Per-device state bound: shadows and the handler's feature history keep at most this many devices (least
   * recently used evicted). @default 10 000 (DEFAULT_MAX_SHADOWS)
   */
  readonly maxDevices?: number;
  /** Shadows unused this long are evicted. @default 1 hour (DEFAULT_SHADOW_IDLE_MS) */
  readonly deviceIdleMs?: number;
  /** MQTT packets with a larger payload close their connection. @default 128 KB (AWS IoT's limit) */
  readonly maxPayloadBytes?: number;
  /**
   * Follow deployments other processes write to `stateDir`'s hosting state (./follow-deployments).
   * @default true when this stack owns its hosting and has a stateDir
   */
  readonly followDeployments?: boolean;
  /** Called when a followed endpoint switches config (or cannot load it), and when the state file is unreadable. */
  readonly onDeploymentChange?: (change: AdoptedEndpoint) => void;
  readonly onDeploymentError?: (error: unknown) => void;
}

/** What `serve` shows in its progress line and `--json` stats. */
export interface ServeStats {
  readonly rule: InferenceRuleStats;
  /** Shadows held now, and evicted so far by the count or idle bound. */
  readonly shadows: number;
  readonly shadowsEvicted: number;
  /** Devices in the handler's feature history now (bounded by maxDevices). */
  readonly historyDevices: number;
  /** MQTT packets refused for their size (AWS IoT's 128 KB payload limit). */
  readonly oversized: number;
  /** Lake ingestion (absent for a memory-only stack): failing appends keep their rows for a retry. */
  readonly lake?: LakeIngestionStats;
  /** The predictions stream's delivery into the lake (absent for a memory-only stack). */
  readonly predictions?: LakeDeliveryStats;
  /** The sensor_faults stream's delivery into the lake (absent for a memory-only stack). */
  readonly sensorFaults?: LakeDeliveryStats;
}

/** The endpoint host's HTTP face, which can be stopped and restarted on the same port (outage drills). */
export interface EndpointHost {
  readonly url: string;
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface ServingStack {
  readonly broker: LocalBroker;
  readonly shadows: ShadowService;
  readonly rule: InferenceRule;
  readonly ingestion: LakeIngestion | undefined;
  /** The local predictions stream's destination (absent for a memory-only stack): `flush()` makes rows visible. */
  readonly predictions: PredictionsDelivery | undefined;
  /** The local sensor_faults stream's destination (absent for a memory-only stack): `flush()` makes rows visible. */
  readonly sensorFaults: SensorFaultsDelivery | undefined;
  readonly dataPlane: DataPlaneServer;
  readonly endpoint: EndpointHost;
  readonly hosting: LocalHosting;
  readonly config: InferenceConfig;
  readonly handler: InferenceHandler;
  /** Present when the stack follows other processes' deployments. */
  readonly follower: DeploymentFollower | undefined;
  stats(): ServeStats;
  /** What a separate `simulate --live` process needs. */
  readonly connection: ServeConnection;
  close(): Promise<void>;
}

export interface ServeConnection {
  readonly mqttUrl: string;
  readonly dataPlaneUrl: string;
  readonly endpointUrl: string;
  readonly endpointName: string;
  readonly pid: number;
}

export const serveConnectionFile = (stateDir: string): string => join(resolve(stateDir), 'iot', 'serve.json');

export function readServeConnection(stateDir: string): ServeConnection | undefined {
  try {
    return JSON.parse(readFileSync(serveConnectionFile(stateDir), 'utf8')) as ServeConnection;
  } catch {
    return undefined;
  }
}

async function endpointHost(hosting: LocalHosting, host: string, port: number): Promise<EndpointHost> {
  let server: InvocationServer | undefined = await startInvocationServer(hosting, { host, port });
  const fixedPort = server.port;
  return {
    url: server.url,
    get running() {
      return server !== undefined;
    },
    async stop() {
      const s = server;
      server = undefined;
      await s?.close();
    },
    async start() {
      if (server === undefined) server = await startInvocationServer(hosting, { host, port: fixedPort });
    },
  };
}

export async function startServing(options: ServingOptions = {}): Promise<ServingStack> {
  const host = options.host ?? '127.0.0.1';
  const ownsHosting = options.hosting === undefined;
  // serve's own metric store is memory-only: per-second statistic sets kept 3 hours (CloudWatch keeps sub-minute
  // data that long) hold it to a few MB per series however many readings arrive.
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Metric
  const metrics = new MetricStore({ bucketMs: 1000, retentionMs: 3 * 3600 * 1000 });
  const hosting =
    options.hosting ??
    new LocalHosting(options.stateDir === undefined ? { metrics } : { stateDir: options.stateDir, metrics });
  const closers: (() => Promise<void> | void)[] = [];
  let closing: Promise<void> | undefined;
  /** Idempotent: closes in reverse start order, once. */
  const closeAll = (): Promise<void> => {
    closing ??= (async () => {
      for (const close of closers.reverse()) await close();
    })();
    return closing;
  };
  if (ownsHosting) closers.push(() => hosting.close());
  try {
    const broker = await startBroker({
      host,
      port: options.mqttPort ?? 0,
      ...(options.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: options.maxPayloadBytes }),
    });
    closers.push(() => broker.close());
    const maxDevices = options.maxDevices ?? DEFAULT_MAX_SHADOWS;
    const shadows = await ShadowService.start(broker, Date.now, {
      maxShadows: maxDevices,
      idleMs: options.deviceIdleMs ?? DEFAULT_SHADOW_IDLE_MS,
    });
    closers.push(() => shadows.stop());
    const dataPlane = await startDataPlane(broker, shadows, { host, port: options.dataPlanePort ?? 0 });
    closers.push(() => dataPlane.close());
    const endpoint = await endpointHost(hosting, host, options.endpointPort ?? 0);
    closers.push(() => endpoint.stop());

    // The lake, and the predictions and sensor_faults streams into it: the handler's PutRecordBatch goes to a local
    // Firehose.
    const lake =
      options.stateDir !== undefined && options.ingest !== false ? LocalLake.open(options.stateDir) : undefined;
    let predictions: PredictionsDelivery | undefined;
    let sensorFaults: SensorFaultsDelivery | undefined;
    let firehoseUrl: string | undefined;
    if (lake !== undefined) {
      closers.push(() => lake.close());
      const delivery = new PredictionsDelivery(lake);
      const faults = new SensorFaultsDelivery(lake);
      predictions = delivery;
      sensorFaults = faults;
      closers.push(
        () => delivery.stop(),
        () => faults.stop(),
      );
      const streams = new Map<string, LocalDeliveryStream>([
        [options.env?.PREDICTIONS_STREAM_NAME ?? LOCAL_PREDICTIONS_STREAM, delivery],
        [options.env?.SENSOR_FAULTS_STREAM_NAME ?? LOCAL_SENSOR_FAULTS_STREAM, faults],
      ]);
      const firehose = await startLocalFirehose(streams, { host });
      closers.push(() => firehose.close());
      firehoseUrl = firehose.url;
    }
    const config = parseInferenceConfig({
      HISTORY_MAX_DEVICES: String(maxDevices),
      ...(lake === undefined
        ? {}
        : { PREDICTIONS_STREAM_NAME: LOCAL_PREDICTIONS_STREAM, SENSOR_FAULTS_STREAM_NAME: LOCAL_SENSOR_FAULTS_STREAM }),
      ...options.env,
    });
    if (options.modelArtifactPath !== undefined) {
      await deployArtifact(hosting, config.endpointName, options.modelArtifactPath);
    }
    let follower: DeploymentFollower | undefined;
    if (options.followDeployments ?? (ownsHosting && options.stateDir !== undefined)) {
      const started = followDeployments(hosting, {
        onChange: options.onDeploymentChange ?? (() => {}),
        onError: options.onDeploymentError ?? (() => {}),
      });
      follower = started;
      closers.push(() => started.close());
    }
    const history = new DeviceHistory(config.historyMaxDevices);
    // The Lambda's own handler, built as on AWS (lambda.ts), its SDK clients pointed at the local endpoint host and
    // data plane; its EMF metrics land in the local metric store, where the alarms and dashboards read them.
    const deps = buildDeps({
      config,
      logger:
        options.logger === undefined
          ? new Logger({ serviceName: SERVICE, logLevel: 'WARN' })
          : options.logger instanceof Logger
            ? options.logger
            : new ForwardingLogger(options.logger, SERVICE),
      metrics: new LocalStoreMetrics(hosting.metrics, { namespace: METRICS_NAMESPACE, serviceName: SERVICE }),
      tracer: new Tracer({ serviceName: SERVICE, enabled: false }),
      target: {
        sagemakerRuntimeEndpoint: endpoint.url,
        iotDataEndpoint: dataPlane.url,
        ...(firehoseUrl === undefined ? {} : { firehoseEndpoint: firehoseUrl }),
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      },
      history,
    });
    closers.push(() => deps.clients.destroy());
    const lambda = createHandler(deps);
    const onOutcome = options.onOutcome;
    const handler: InferenceHandler = async (event) => {
      const outcome = await lambda(event, lambdaContext(SERVICE, { timeoutMs: LAMBDA_TIMEOUT_MS }));
      onOutcome?.(outcome);
      return outcome;
    };
    const rule = await InferenceRule.start(broker, handler);
    closers.push(() => rule.stop());

    let ingestion: LakeIngestion | undefined;
    if (lake !== undefined) {
      ingestion = await LakeIngestion.start(broker, lake);
      const started = ingestion;
      closers.push(() => started.stop());
    }

    const connection: ServeConnection = {
      mqttUrl: broker.url,
      dataPlaneUrl: dataPlane.url,
      endpointUrl: endpoint.url,
      endpointName: config.endpointName,
      pid: process.pid,
    };
    if (options.stateDir !== undefined) {
      const file = serveConnectionFile(options.stateDir);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, `${JSON.stringify(connection, null, 2)}\n`);
    }
    return {
      broker,
      shadows,
      rule,
      ingestion,
      predictions,
      sensorFaults,
      dataPlane,
      endpoint,
      hosting,
      config,
      handler,
      follower,
      stats: () => ({
        rule: rule.stats,
        shadows: shadows.size,
        shadowsEvicted: shadows.stats.evicted,
        historyDevices: history.size,
        oversized: broker.stats.oversized,
        ...(ingestion ? { lake: { ...ingestion.stats } } : {}),
        ...(predictions ? { predictions: { ...predictions.stats } } : {}),
        ...(sensorFaults ? { sensorFaults: { ...sensorFaults.stats } } : {}),
      }),
      connection,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

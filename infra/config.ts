import { resolve } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { type PipelineConfig, parsePipelineConfig } from '../pipeline/config';
import { loadSignalSetFile, SignalSetError } from '../telemetry/signal-set-schema';
import type { SignalSet } from '../telemetry/signals';

/**
 * Deployment configuration from CDK context (`cdk.json`, `-c key=value`), validated with the pipeline's
 * zod schema so a typo fails `cdk synth` naming the field.
 *
 * Context keys:
 * - `pipeline`: JSON (object or string) of PipelineConfig overrides, e.g. `-c pipeline='{"gate":{"margin":0.02}}'`
 * - `notificationEmail`: e-mail subscribed to the notification topic (approval links, outcomes, alarms)
 * - `iotDataEndpoint`: the account's IoT data endpoint (`aws iot describe-endpoint --endpoint-type iot:Data-ATS`) for the inference Lambda
 * - `signalSet`: a signal set JSON file (relative to the working directory), e.g. `-c signalSet=fleet.json`: the Glue
 *   columns, the IoT rule SQL, the features, Evaluate and the inference Lambda are generated from it
 * - `signalSetId`: a built-in signal set by id (thermostat, uci-occupancy, uci-room-occupancy)
 * - `account`, `region`: target environment (default: the CLI's, or none for an environment-agnostic synth)
 */
export interface InfraConfig {
  readonly pipeline: PipelineConfig;
  readonly notificationEmail?: string;
  readonly iotDataEndpoint?: string;
  readonly account?: string;
  readonly region?: string;
}

export class InfraConfigError extends Error {
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InfraConfigError';
  }
}

function jsonContext(app: App, key: string): unknown {
  const value: unknown = app.node.tryGetContext(key);
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new InfraConfigError(`Context "${key}" is not valid JSON`, key, { cause: error });
  }
}

/** `-c signalSet=FILE`: the file (relative to the working directory) validated, errors naming the field and file. */
function signalSetContext(app: App): SignalSet | undefined {
  const value: unknown = app.node.tryGetContext('signalSet');
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InfraConfigError('Context "signalSet" must be a file path', 'signalSet');
  try {
    return loadSignalSetFile(resolve(process.cwd(), value));
  } catch (error) {
    const field = error instanceof SignalSetError && error.field !== '$' ? `signalSet.${error.field}` : 'signalSet';
    throw new InfraConfigError(`Context "signalSet": ${(error as Error).message}`, field, { cause: error });
  }
}

export function loadInfraConfig(app: App): InfraConfig {
  const str = (key: string): string | undefined => {
    const v: unknown = app.node.tryGetContext(key);
    return typeof v === 'string' && v.length > 0 ? v : undefined;
  };
  // Refused rather than ignored: a deployment that used it expects a data source that no longer exists.
  if (app.node.tryGetContext('legacyIotAnalytics') !== undefined) {
    throw new InfraConfigError(
      'Context "legacyIotAnalytics" was removed: AWS IoT Analytics reached end of support on 2025-12-15. ' +
        'Move exported data into the lake as described in docs/migrate-from-iot-analytics.md',
      'legacyIotAnalytics',
    );
  }
  const overrides = (jsonContext(app, 'pipeline') ?? {}) as Record<string, unknown>;
  const signalSet = signalSetContext(app);
  const signalSetId = str('signalSetId');
  if (signalSet && signalSetId !== undefined && signalSetId !== signalSet.id) {
    throw new InfraConfigError(
      `Context "signalSetId" is "${signalSetId}" but the "signalSet" file's id is "${signalSet.id}"`,
      'signalSetId',
    );
  }
  const pipeline = parsePipelineConfig({
    ...overrides,
    ...(signalSetId !== undefined ? { signalSetId } : {}),
    ...(signalSet ? { signalSetId: signalSet.id, signalSet } : {}),
  });
  const email: unknown = app.node.tryGetContext('notificationEmail');
  if (email !== undefined && (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))) {
    throw new InfraConfigError('Context "notificationEmail" must be an e-mail address', 'notificationEmail');
  }
  return {
    pipeline,
    notificationEmail: email as string | undefined,
    iotDataEndpoint: iotDataEndpoint(app),
    account: str('account') ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: str('region') ?? process.env.CDK_DEFAULT_REGION,
  };
}

function iotDataEndpoint(app: App): string | undefined {
  const value: unknown = app.node.tryGetContext('iotDataEndpoint');
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^https:\/\/[a-z0-9-]+\.iot\.[a-z0-9-]+\.amazonaws\.com\/?$/.test(value)) {
    throw new InfraConfigError(
      'Context "iotDataEndpoint" must be https://<prefix>-ats.iot.<region>.amazonaws.com',
      'iotDataEndpoint',
    );
  }
  return value;
}

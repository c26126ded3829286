import { join, resolve } from 'node:path';
import * as z from 'zod';
import {
  customSignalSet,
  type PipelineConfig,
  PipelineConfigError,
  type PipelineConfigInput,
  parsePipelineConfig,
  signalSetOf,
} from '../pipeline/config';
import { numericSignals } from '../telemetry/signals';
import { LocalLake } from './lake';
import { readStateFileIfExists } from './state-file';

/**
 * The local runtime's config: the pipeline's one zod config, with local defaults where AWS defaults
 * would make a laptop run slow (fewer AutoML candidates), overridable by `<state-dir>/config.json`.
 *
 * The lake decides the signal set: a run synthesizes the state machine for the signals the lake holds, and the
 * static rule defaults to that set's own rule (none when it has none). `config.json` may restate the lake's
 * `signalSetId` but never contradict it.
 */
export const LOCAL_DEFAULTS: PipelineConfigInput = {
  autoML: { maxCandidates: 6, maxRuntimePerTrainingJobSeconds: 600, maxJobRuntimeSeconds: 1800 },
  canary: { sizePercent: 20, waitIntervalSeconds: 300, terminationWaitSeconds: 120 },
};

export class LocalConfigError extends Error {
  constructor(
    message: string,
    /** Dotted config field at fault, e.g. `signalSetId`; `(file)` when the file itself is unreadable. */
    readonly field: string,
    /** The config file. */
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LocalConfigError';
  }
}

/** `<state-dir>/config.json`: a JSON object of overrides (its fields are checked by the pipeline config's schema). */
const CONFIG_FILE = {
  what: 'object of config overrides',
  schema: z.record(z.string(), z.unknown()),
  advice: 'fix' as const,
};

function readOverrides(path: string): Record<string, unknown> {
  return readStateFileIfExists(path, CONFIG_FILE) ?? {};
}

/** The config for `stateDir`: local defaults, then `config.json`, with the signal set of the lake when there is one. */
export function loadLocalConfig(stateDir: string): PipelineConfig {
  const path = join(resolve(stateDir), 'config.json');
  const overrides = readOverrides(path);
  const merged: Record<string, unknown> = { ...LOCAL_DEFAULTS };
  for (const [key, value] of Object.entries(overrides)) {
    const base = merged[key];
    merged[key] =
      base && typeof base === 'object' && value && typeof value === 'object'
        ? { ...base, ...(value as object) }
        : value;
  }
  const lakeDocument = LocalLake.signalSetOf(stateDir);
  const lakeSet = lakeDocument?.id;
  if (lakeDocument !== undefined) {
    const configured = overrides.signalSetId;
    if (configured !== undefined && configured !== lakeSet) {
      throw new LocalConfigError(
        `${path} sets signalSetId "${String(configured)}" but the lake in ${join(resolve(stateDir), 'lake')} holds ` +
          `signal set "${lakeSet}": remove signalSetId from ${path} (the lake decides) or use another --state-dir`,
        'signalSetId',
        path,
      );
    }
    merged.signalSetId = lakeSet;
    merged.signalSet = lakeDocument;
  }
  let config: PipelineConfig;
  try {
    config = parsePipelineConfig(merged);
  } catch (error) {
    // With a config.json, a field the schema refuses came from it: name the file (the defaults are valid).
    if (!(error instanceof PipelineConfigError) || Object.keys(overrides).length === 0) throw error;
    throw new LocalConfigError(`${path}: ${error.message}: fix it, then re-run`, error.field, path, { cause: error });
  }
  const rule = config.staticRule;
  if (rule !== null && overrides.staticRule !== undefined) {
    const signals = numericSignals(signalSetOf(config)).map((s) => s.name);
    if (!signals.includes(rule.signal)) {
      throw new LocalConfigError(
        `${path} sets staticRule.signal "${rule.signal}", not a numeric signal of signal set "${config.signalSetId}" ` +
          `(${signals.join(', ')})`,
        'staticRule.signal',
        path,
      );
    }
  }
  return config;
}

/**
 * The inference handler's environment for a config, as the Serving stack sets it (infra/stacks/serving-stack.ts):
 * the endpoint, the signal set, and the static rule as the fallback when there is one.
 */
export function inferenceEnv(config: PipelineConfig): Record<string, string> {
  return {
    ENDPOINT_NAME: config.endpointName,
    SIGNAL_SET_ID: config.signalSetId,
    ...(customSignalSet(config) ? { SIGNAL_SET: JSON.stringify(customSignalSet(config)) } : {}),
    ...(config.staticRule
      ? { FALLBACK_SIGNAL: config.staticRule.signal, FALLBACK_LEVEL: String(config.staticRule.level) }
      : {}),
  };
}

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type PipelineConfig, type PipelineConfigInput, parsePipelineConfig } from '../pipeline/config';

/**
 * The local runtime's config: the pipeline's one zod config, with local defaults where AWS defaults
 * would make a laptop run slow (fewer AutoML candidates), overridable by `<state-dir>/config.json`.
 */
export const LOCAL_DEFAULTS: PipelineConfigInput = {
  autoML: { maxCandidates: 6, maxRuntimePerTrainingJobSeconds: 600, maxJobRuntimeSeconds: 1800 },
  canary: { sizePercent: 20, waitIntervalSeconds: 300, terminationWaitSeconds: 120 },
};

export function loadLocalConfig(stateDir: string): PipelineConfig {
  const path = join(resolve(stateDir), 'config.json');
  let overrides: Record<string, unknown> = {};
  if (existsSync(path)) overrides = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...LOCAL_DEFAULTS };
  for (const [key, value] of Object.entries(overrides)) {
    const base = merged[key];
    merged[key] =
      base && typeof base === 'object' && value && typeof value === 'object'
        ? { ...base, ...(value as object) }
        : value;
  }
  return parsePipelineConfig(merged);
}

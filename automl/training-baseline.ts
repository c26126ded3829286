/**
 * Attaches the training baseline (monitoring/baseline.ts) to a winning artifact: per-feature decile edges and shares
 * of the training table, what the live monitor measures drift against. Computed on every row of the table the job
 * trained on (the data the model was fitted to, not a refit sample), keyed by the artifact's featureNames.
 */
import { setImmediate } from 'node:timers/promises';
import { computeTrainingBaseline, type TrainingBaseline } from '../monitoring/baseline';
import type { NumericTable } from '../telemetry/table';
import type { ModelArtifact } from './artifact';

/** `artifact` with `trainingBaseline` summarising `table`'s columns (NaN is a missing value, as the model reads it). */
export function withTrainingBaseline(
  artifact: ModelArtifact,
  table: NumericTable,
  computed?: TrainingBaseline,
): ModelArtifact {
  const names = Object.keys(computed?.features ?? {});
  const fits = names.length === artifact.featureNames.length && names.every((n, i) => n === artifact.featureNames[i]);
  if (computed && fits) return { ...artifact, trainingBaseline: computed };
  const columns: Record<string, Float64Array> = {};
  for (const name of artifact.featureNames) {
    const column = table.columns[table.names.indexOf(name)];
    // featureNames are the table's names (automl/search.ts), so every one has its column.
    if (column) columns[name] = column;
  }
  return { ...artifact, trainingBaseline: computeTrainingBaseline(columns) };
}

/**
 * The baseline `withTrainingBaseline` computes for a search's winner (whose featureNames are the table's names),
 * one feature at a time with the event loop let in between: the pool computes it while its workers train, so its
 * messages wait one feature's summary at most.
 */
export async function trainingBaselineInSlices(table: NumericTable): Promise<TrainingBaseline> {
  const features: TrainingBaseline['features'] = {};
  for (let i = 0; i < table.names.length; i++) {
    await setImmediate();
    const name = table.names[i] ?? '';
    const column = table.columns[i];
    if (column) Object.assign(features, computeTrainingBaseline({ [name]: column }).features);
  }
  return { version: 1, rows: table.columns[0]?.length ?? 0, features };
}

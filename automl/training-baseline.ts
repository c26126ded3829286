/**
 * Attaches the training baseline (monitoring/baseline.ts) to a winning artifact: per-feature decile edges and shares
 * of the training table, what the live monitor measures drift against. Computed on every row of the table the job
 * trained on (the data the model was fitted to, not a refit sample), keyed by the artifact's featureNames.
 */
import { computeTrainingBaseline } from '../monitoring/baseline';
import type { NumericTable } from '../telemetry/table';
import type { ModelArtifact } from './artifact';

/** `artifact` with `trainingBaseline` summarising `table`'s columns (NaN is a missing value, as the model reads it). */
export function withTrainingBaseline(artifact: ModelArtifact, table: NumericTable): ModelArtifact {
  const columns: Record<string, Float64Array> = {};
  for (const name of artifact.featureNames) {
    const column = table.columns[table.names.indexOf(name)];
    // featureNames are the table's names (automl/search.ts), so every one has its column.
    if (column) columns[name] = column;
  }
  return { ...artifact, trainingBaseline: computeTrainingBaseline(columns) };
}

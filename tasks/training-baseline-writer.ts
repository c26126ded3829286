import {
  BASELINE_BINS,
  binOf,
  type FeatureBaseline,
  quantileEdges,
  type TrainingBaseline,
  TrainingBaselineSchema,
} from '../monitoring/baseline';
import { TRAINING_BASELINE_FILE } from '../monitoring/baseline-location';
import { Reservoir } from '../monitoring/reservoir';
import { ArtifactError } from './errors';
import type { StreamingObjectStore } from './ports/object-store';
import { cellNumber } from './split-columns';
import { openSplit } from './split-reader';

/**
 * The training baseline of a pipeline-trained model (issue 21 item 1, the AWS path): Autopilot's model.tar.gz
 * carries no `trainingBaseline`, so the pipeline summarises the candidate's train split itself and writes it next to
 * its run (`runs/<run id>/training-baseline.json`); CreateCandidateModel tags the model with that URI
 * (TRAINING_BASELINE_TAG) and the monitor reads the tag (tasks/monitor-baselines.ts).
 *
 * Bounded memory, two passes over the split: pass 1 keeps a seeded reservoir sample of each feature's values
 * (RESERVOIR_CAPACITY) for its decile edges; pass 2 counts every row into those edges, so the shares are exact for
 * the edges. Up to RESERVOIR_CAPACITY rows the sample is the whole split and the baseline equals
 * monitoring/baseline.ts's computeTrainingBaseline on the rows; beyond, only the edges are estimated.
 */

export { TRAINING_BASELINE_FILE, TRAINING_BASELINE_TAG } from '../monitoring/baseline-location';
/** Sampled values per feature for the edges: 8 bytes each, so 512 KiB a feature. */
export const RESERVOIR_CAPACITY = 65_536;

/** `s3://b/runs/<id>/evaluation` → `s3://b/runs/<id>/training-baseline.json` (the run's prefix, as NameRun sets it). */
export function trainingBaselineUri(evaluationPrefix: string): string {
  const cut = evaluationPrefix.lastIndexOf('/');
  return `${evaluationPrefix.slice(0, cut)}/${TRAINING_BASELINE_FILE}`;
}

export interface SplitBaselineOptions {
  /** Names the split in errors. */
  readonly field: string;
  /** The label column: every other column of the split is a feature (buildSplitQuery: features, then it). */
  readonly target: string;
  /** @default RESERVOIR_CAPACITY */
  readonly capacity?: number;
}

/** The baseline of every feature column of the split at `uri`, streamed twice. */
export async function splitBaseline(
  store: StreamingObjectStore,
  uri: string,
  options: SplitBaselineOptions,
): Promise<TrainingBaseline> {
  const split = await openSplit(store, uri, options.field);
  const names = split.columnNames.filter((name) => name !== options.target);
  if (names.length === 0) throw new ArtifactError(`${options.field}: ${uri} has no feature columns`, uri);
  const samples = names.map((_, i) => new Reservoir(options.capacity ?? RESERVOIR_CAPACITY, i + 1));
  let rows = 0;
  for await (const batch of split.batches(names)) {
    names.forEach((name, c) => {
      const cells = batch.columns.get(name) ?? [];
      const sample = samples[c];
      for (let r = 0; r < batch.rows; r++) {
        const v = cellNumber(cells[r]);
        if (!Number.isNaN(v)) sample?.add(v);
      }
    });
    rows += batch.rows;
  }
  const edges = samples.map((s) => quantileEdges(s.values()));
  const counts = edges.map((e) => new Array<number>(e.length + 2).fill(0));
  let counted = 0;
  for await (const batch of split.batches(names)) {
    names.forEach((name, c) => {
      const cells = batch.columns.get(name) ?? [];
      const e = edges[c] ?? [];
      const k = counts[c] ?? [];
      for (let r = 0; r < batch.rows; r++) {
        const b = binOf(e, cellNumber(cells[r]));
        k[b] = (k[b] ?? 0) + 1;
      }
    });
    counted += batch.rows;
  }
  if (counted !== rows)
    throw new ArtifactError(`${options.field}: ${uri} changed while read (${rows} then ${counted} rows)`, uri);
  const features: Record<string, FeatureBaseline> = {};
  names.forEach((name, c) => {
    const e = edges[c] ?? [];
    features[name] = {
      edges: e.slice(0, BASELINE_BINS - 1),
      proportions: (counts[c] ?? []).map((n) => (rows === 0 ? 0 : n / rows)),
      rows,
    };
  });
  // Validated as the monitor will read it: a bad summary fails here, in the run that made it.
  return TrainingBaselineSchema.parse({ version: 1, rows, features });
}

/** Summarises the train split and writes it to `baselineUri`; returns the baseline. */
export async function writeTrainingBaseline(
  store: StreamingObjectStore,
  trainUri: string,
  baselineUri: string,
  options: Omit<SplitBaselineOptions, 'field'> & { readonly field?: string },
): Promise<TrainingBaseline> {
  const baseline = await splitBaseline(store, trainUri, { field: 'trainUri', ...options });
  await store.putText(baselineUri, `${JSON.stringify(baseline)}\n`, 'application/json');
  return baseline;
}

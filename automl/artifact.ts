/**
 * The portable model artifact: versioned JSON holding everything needed to score a row (input
 * columns, preprocessing, model, calibration, decision threshold) and nothing of the training code. The endpoint
 * host and batch scorers load it with `loadPredictor`, which applies the calibration (automl/calibration.ts) after
 * the model's raw score; an artifact without one scores exactly as before.
 */
import * as z from 'zod';
import { TrainingBaselineSchema } from '../monitoring/baseline';
import type { NumericTable } from '../telemetry/table';
import { applyCalibration } from './calibration';
import { ArtifactError } from './errors';
import { type ForestModel, predictForestRow } from './forest';
import { type GbtModel, predictGbtRow } from './gbt';
import { type LogisticModel, predictLogisticRow } from './logistic';
import { OBJECTIVES } from './objective';
import { predictThresholdRow, type ThresholdRuleModel } from './threshold';

/** Version 2 adds the `ensemble` family; version 1 artifacts (already deployed) still load and score as before. */
export const ARTIFACT_FORMAT_VERSION = 2 as const;
export const MODEL_FAMILIES = ['gbt', 'logistic', 'forest', 'threshold', 'ensemble'] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];

const finite = z.number().finite();
const treeSchema = z
  .object({
    feature: z.array(z.number().int()),
    threshold: z.array(finite),
    left: z.array(z.number().int()),
    right: z.array(z.number().int()),
    value: z.array(finite),
  })
  .refine(
    (t) =>
      t.feature.length > 0 &&
      [t.threshold, t.left, t.right, t.value].every((a) => a.length === t.feature.length) &&
      t.feature.every((f, i) => {
        if (f < 0) return true;
        const l = t.left[i] ?? -1;
        const r = t.right[i] ?? -1;
        // Children come after their parent: no cycles, every walk ends in a leaf.
        return l > i && r > i && l < t.feature.length && r < t.feature.length;
      }),
    { message: 'tree arrays must have equal, non-zero length and children must follow their parent' },
  );

const gbtModelSchema = z.object({ family: z.literal('gbt'), initScore: finite, trees: z.array(treeSchema).min(1) });
const forestModelSchema = z.object({ family: z.literal('forest'), trees: z.array(treeSchema).min(1) });
/** A single-signal rule; the probability is a logistic ramp around the level, 0.5 exactly at it. */
const thresholdModelSchema = z.object({
  family: z.literal('threshold'),
  feature: z.number().int().nonnegative(),
  level: finite,
  direction: z.enum(['above', 'below']),
  scale: finite.positive(),
});
const logisticModelSchema = z.object({
  family: z.literal('logistic'),
  inputs: z.array(z.number().int().nonnegative()),
  standardisation: z.object({ mean: z.array(finite), scale: z.array(finite.positive()) }),
  weights: z.array(finite),
  intercept: finite,
});

const calibrationFitSchema = z
  .object({
    rows: z.number().int().nonnegative(),
    brierBefore: finite,
    brierAfter: finite,
    brierPlatt: finite,
    brierIsotonic: finite,
  })
  .optional();
/** Applied to the model's raw probability by `applyCalibration` (automl/calibration.ts). */
const calibrationSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('identity'), fit: calibrationFitSchema }),
  z.object({ method: z.literal('platt'), a: finite.positive(), b: finite, fit: calibrationFitSchema }),
  z.object({
    method: z.literal('isotonic'),
    x: z.array(finite).min(2),
    y: z.array(z.number().min(0).max(1)).min(2),
    fit: calibrationFitSchema,
  }),
]);

const preprocessingSchema = z.object({
  /**
   * 'native': trees send missing values left, a threshold rule predicts "not occupied";
   * 'mean': imputed with the training mean, then standardised.
   */
  missingValues: z.enum(['native', 'mean']),
  standardised: z.boolean(),
});
/** One fitted model (every family but the ensemble, which is made of these). */
const singleModelSchema = z.discriminatedUnion('family', [
  gbtModelSchema,
  forestModelSchema,
  logisticModelSchema,
  thresholdModelSchema,
]);
/** An ensemble member: a model with its preprocessing and calibration, weighted in the ensemble's mean. */
const ensembleMemberSchema = z.object({
  candidateName: z.string().min(1),
  weight: finite.nonnegative(),
  preprocessing: preprocessingSchema,
  model: singleModelSchema,
  calibration: calibrationSchema.optional(),
});
/** The weighted mean of its members' calibrated probabilities (weights ≥ 0, summing to 1). */
const ensembleModelSchema = z.object({
  family: z.literal('ensemble'),
  members: z.array(ensembleMemberSchema).min(1),
});

export const modelArtifactSchema = z.object({
  formatVersion: z.union([z.literal(1), z.literal(2)]),
  /** Unique id of this model (job/candidate), reported with every prediction. */
  version: z.string().min(1),
  family: z.enum(MODEL_FAMILIES),
  /** Input columns in order: the training CSV's columns minus the target (a headerless CSV line). */
  featureNames: z.array(z.string().min(1)).min(1),
  /** The subset of featureNames the model reads (the rest are accepted and ignored). */
  usedFeatures: z.array(z.string()),
  target: z.string().min(1),
  preprocessing: preprocessingSchema,
  model: z.discriminatedUnion('family', [
    gbtModelSchema,
    forestModelSchema,
    logisticModelSchema,
    thresholdModelSchema,
    ensembleModelSchema,
  ]),
  /** Maps the model's raw probability to a calibrated one; absent (older artifacts) is the identity. */
  calibration: calibrationSchema.optional(),
  /** Predict occupied when the (calibrated) probability >= threshold. */
  threshold: z.number().min(0).max(1),
  objective: z.object({ name: z.enum(OBJECTIVES), value: finite }),
  training: z.object({
    candidateName: z.string(),
    trainedAt: z.string(),
    rows: z.number().int().nonnegative(),
    featureSubset: z.string(),
    hyperParameters: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
    validation: z.record(z.string(), z.number().nullable()),
    seed: z.number().int(),
  }),
  /**
   * Per-feature distribution of the training rows, what the live monitor measures drift against (issue 21).
   * Optional within format 2: older artifacts have none and are not monitored for drift.
   */
  trainingBaseline: TrainingBaselineSchema.optional(),
});

export type ModelArtifact = z.infer<typeof modelArtifactSchema>;
/** One fitted model: what a candidate trains (an ensemble is made of these). */
export type ArtifactModel = z.infer<typeof singleModelSchema>;
export type EnsembleModel = z.infer<typeof ensembleModelSchema>;
export type EnsembleMemberModel = EnsembleModel['members'][number];

export interface Prediction {
  readonly probability: number;
  readonly label: 0 | 1;
}

export interface Predictor {
  readonly featureNames: readonly string[];
  readonly version: string;
  /** Values in featureNames order; NaN for a missing value. */
  predictRow(values: ArrayLike<number>): Prediction;
  /** Maps the table's columns by name; extra columns are ignored. */
  predictTable(table: NumericTable): { probability: Float64Array; label: Uint8Array };
}

function validate(artifact: unknown): ModelArtifact {
  const parsed = modelArtifactSchema.safeParse(artifact);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(root)';
    throw new ArtifactError(`Invalid model artifact at "${field}": ${issue?.message ?? 'unknown problem'}`, field, {
      cause: parsed.error,
    });
  }
  const a = parsed.data;
  if (a.family !== a.model.family) {
    throw new ArtifactError(`family "${a.family}" does not match model.family "${a.model.family}"`, 'model.family');
  }
  const width = a.featureNames.length;
  if (a.model.family === 'ensemble') {
    if (a.formatVersion < 2) {
      throw new ArtifactError('an ensemble needs artifact formatVersion 2', 'formatVersion');
    }
    const members = a.model.members;
    members.forEach((m, i) => {
      validateModel(m.model, width, `model.members.${i}.model`);
      validateCalibration(m.calibration, `model.members.${i}.calibration`);
    });
    const total = members.reduce((sum, m) => sum + m.weight, 0);
    if (Math.abs(total - 1) > 1e-6) {
      throw new ArtifactError(`ensemble weights must sum to 1, got ${total}`, 'model.members.weight');
    }
  } else validateModel(a.model, width, 'model');
  validateCalibration(a.calibration, 'calibration');
  const unknown = Object.keys(a.trainingBaseline?.features ?? {}).find((f) => !a.featureNames.includes(f));
  if (unknown !== undefined) {
    throw new ArtifactError(
      `trainingBaseline summarises "${unknown}", which is not one of featureNames`,
      `trainingBaseline.features.${unknown}`,
    );
  }
  return a;
}

/** Checks a model's indices against the `width` inputs; `at` is the field path reported. */
function validateModel(model: ArtifactModel, width: number, at: string): void {
  const trees = model.family === 'gbt' || model.family === 'forest' ? model.trees : [];
  for (const tree of trees) {
    if (tree.feature.some((f) => f >= width)) {
      throw new ArtifactError(`a tree splits on a feature index beyond the ${width} inputs`, `${at}.trees`);
    }
  }
  if (model.family === 'logistic') {
    const d = model.inputs.length;
    if (
      model.weights.length !== d ||
      model.standardisation.mean.length !== d ||
      model.standardisation.scale.length !== d
    ) {
      throw new ArtifactError('logistic inputs, weights and standardisation must have equal length', `${at}.weights`);
    }
    if (model.inputs.some((f) => f >= width)) {
      throw new ArtifactError(`a logistic input index is beyond the ${width} inputs`, `${at}.inputs`);
    }
  }
  if (model.family === 'threshold' && model.feature >= width) {
    throw new ArtifactError(`the threshold rule reads a feature index beyond the ${width} inputs`, `${at}.feature`);
  }
}

function validateCalibration(c: ModelArtifact['calibration'], at: string): void {
  if (
    c?.method === 'isotonic' &&
    (c.x.length !== c.y.length ||
      c.x.some((x, i) => i > 0 && !(x > (c.x[i - 1] ?? x) && (c.y[i] ?? 0) > (c.y[i - 1] ?? 0))))
  ) {
    throw new ArtifactError('isotonic calibration needs equal-length x and y, both strictly rising', `${at}.x`);
  }
}

/** A model's probability with its calibration applied (the identity, or none, returns the raw score untouched). */
function calibrated(
  raw: (values: ArrayLike<number>) => number,
  calibration: ModelArtifact['calibration'],
): (values: ArrayLike<number>) => number {
  return calibration === undefined || calibration.method === 'identity'
    ? raw
    : (values) => applyCalibration(calibration, raw(values));
}

function scorer(model: ModelArtifact['model']): (values: ArrayLike<number>) => number {
  switch (model.family) {
    case 'ensemble': {
      const members = model.members
        .filter((m) => m.weight > 0)
        .map((m) => ({ weight: m.weight, score: calibrated(scorer(m.model), m.calibration) }));
      return (values) => {
        let p = 0;
        for (const m of members) p += m.weight * m.score(values);
        return p;
      };
    }
    case 'gbt':
      return (values) => predictGbtRow(model satisfies GbtModel, values);
    case 'forest':
      return (values) => predictForestRow(model satisfies ForestModel, values);
    case 'logistic':
      return (values) => predictLogisticRow(model satisfies LogisticModel, values);
    case 'threshold':
      return (values) => predictThresholdRow(model satisfies ThresholdRuleModel, values);
  }
}

export class PredictionInputError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'PredictionInputError';
  }
}

export function loadPredictor(artifact: unknown): Predictor {
  const a = validate(artifact);
  // Without a calibration (or with the identity) the raw score is returned untouched, bit for bit.
  const score = calibrated(scorer(a.model), a.calibration);
  const featureNames = Object.freeze([...a.featureNames]);
  const width = featureNames.length;
  const threshold = a.threshold;
  return {
    featureNames,
    version: a.version,
    predictRow(values) {
      if (values.length !== width) {
        throw new PredictionInputError(
          `Expected ${width} values (${featureNames.join(', ')}), got ${values.length}`,
          'values',
        );
      }
      const probability = score(values);
      return { probability, label: probability >= threshold ? 1 : 0 };
    },
    predictTable(table) {
      const columns = featureNames.map((name) => {
        const i = table.names.indexOf(name);
        const col = i >= 0 ? table.columns[i] : undefined;
        if (!col) throw new PredictionInputError(`Column "${name}" missing from the table to score`, name);
        return col;
      });
      const probability = new Float64Array(table.rowCount);
      const label = new Uint8Array(table.rowCount);
      const row = new Float64Array(width);
      for (let r = 0; r < table.rowCount; r++) {
        for (let c = 0; c < width; c++) row[c] = columns[c]?.[r] ?? Number.NaN;
        const p = score(row);
        probability[r] = p;
        label[r] = p >= threshold ? 1 : 0;
      }
      return { probability, label };
    },
  };
}

export function saveArtifact(artifact: ModelArtifact): string {
  return `${JSON.stringify(validate(artifact))}\n`;
}

export function parseArtifact(json: string): ModelArtifact {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new ArtifactError('Model artifact is not valid JSON', '(root)', { cause: error });
  }
  return validate(value);
}

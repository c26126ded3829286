import type { AutoMLCandidate } from '../../automl/job';
import type { EnsembleMember, ValidationReport } from '../../automl/report';
import type { AutoMLSource } from '../../local/console/run-extras';
import { sha256Hex } from '../../tasks/approval';
import type { ApprovalRecord } from '../../tasks/ports/approval-store';

export function approvalRecordFixture(approveSecret: string, rejectSecret: string): ApprovalRecord {
  return {
    runId: 'run-1',
    taskToken: 'token',
    executionArn: 'arn:aws:states:us-east-1:1:execution:m:run-1',
    modelPackageArn: 'arn:aws:sagemaker:us-east-1:1:model-package/occ/1',
    approveSecretHash: sha256Hex(approveSecret),
    rejectSecretHash: sha256Hex(rejectSecret),
    createdAt: 0,
    expiresAt: 4_000_000_000,
    status: 'pending',
  };
}

/** An AutoML candidate as the job runner lists it; `extra` overrides its Leaderboard fields. */
export function candidateFixture(
  name: string,
  value: number,
  extra: Partial<AutoMLCandidate['Leaderboard']> = {},
): AutoMLCandidate {
  return {
    CandidateName: name,
    CandidateStatus: 'Completed',
    FinalAutoMLJobObjectiveMetric: { MetricName: 'F1', Value: value },
    CreationTime: new Date(1000),
    EndTime: new Date(3500),
    Leaderboard: {
      family: 'gbt',
      featureSubset: 'all',
      features: ['temperature', 'sound'],
      hyperParameters: {},
      foldValues: [0.8, 0.9],
      threshold: 0.5,
      validation: undefined,
      beatsBaseline: true,
      isBaseline: false,
      ...extra,
    },
  } as unknown as AutoMLCandidate;
}

const member = (candidateName: string, family: string, featureSubset: string, weight: number): EnsembleMember => ({
  candidateName,
  family,
  featureSubset,
  features: [featureSubset],
  weight,
});

/** Two folds that cannot rank the top candidates: light drifted between them, the engine chose an ensemble. */
export const UNSEPARABLE_VALIDATION: ValidationReport = {
  folds: [
    { index: 1, trainRows: 4000, validationRows: 1000, validationPositives: 310 },
    { index: 2, trainRows: 5000, validationRows: 1000, validationPositives: 280 },
  ],
  gap: 0.004,
  spread: 0.021,
  separable: false,
  statement:
    'Validation could not separate the top candidates (2 folds, gap 0.004 ≤ spread 0.021): preferred stable, relative features and an ensemble across feature views.',
  featureStability: [
    { feature: 'sound', psi: 0.02, ks: 0.05, relative: false, drifting: false },
    { feature: 'light', psi: 0.61, ks: 0.42, relative: false, drifting: true },
    { feature: 'co2_slope', psi: 0.01, ks: 0.03, relative: true, drifting: false },
  ],
};

/** A finished job with a validation report whose winner is an ensemble of a sound and a CO2 candidate. */
export function ensembleJobFixture(validation: ValidationReport = UNSEPARABLE_VALIDATION): AutoMLSource {
  const candidates = [
    candidateFixture('t', 0.7, { isBaseline: true, family: 'threshold', featureSubset: 'single-signal' }),
    candidateFixture('light-logistic', 0.97, {
      family: 'logistic',
      featureSubset: 'light',
      features: ['light'],
      foldValues: [1, 0.95],
      robustValue: 0.96,
      driftingFeatures: ['light'],
    }),
    candidateFixture('sound-gbt', 0.93, {
      featureSubset: 'sound',
      features: ['sound'],
      foldValues: [0.92, 0.94],
      robustValue: 0.925,
    }),
    candidateFixture('co2-logistic', 0.9, {
      family: 'logistic',
      featureSubset: 'co2',
      features: ['co2_slope'],
      foldValues: [0.9, 0.9],
      robustValue: 0.9,
    }),
    candidateFixture('all-forest', 0.88, {
      family: 'forest',
      foldValues: [0.86, 0.9],
      robustValue: 0.87,
    }),
    candidateFixture('ensemble-1', 0.94, {
      family: 'ensemble' as AutoMLCandidate['Leaderboard']['family'],
      featureSubset: 'ensemble',
      features: ['sound', 'co2_slope'],
      foldValues: [0.93, 0.95],
      robustValue: 0.935,
      ensemble: [member('co2-logistic', 'logistic', 'co2', 0.45), member('sound-gbt', 'gbt', 'sound', 0.55)],
    }),
  ];
  return {
    listCandidates: () => candidates,
    describe: () => ({ BestCandidate: { CandidateName: 'ensemble-1' }, Validation: validation }),
  };
}

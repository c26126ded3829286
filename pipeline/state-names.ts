/**
 * Every state of the retraining state machine. These names are stable identifiers: the local runtime
 * binds Task states by name, tests and dashboards refer to them. Renaming one is a breaking change.
 */
export const StateNames = {
  // Run identity and single-run lock (pipeline/phases/run-lock.ts): GuardSingleRun takes the lock item with a
  // conditional PutItem; when another execution holds it, CheckSingleRun asks whether that holder still runs.
  NameRun: 'NameRun',
  InitRunLock: 'InitRunLock',
  GuardSingleRun: 'GuardSingleRun',
  ReadRunLock: 'ReadRunLock',
  CheckRunLockHolder: 'CheckRunLockHolder',
  DescribeRunLockHolder: 'DescribeRunLockHolder',
  CheckSingleRun: 'CheckSingleRun',
  ReleaseStaleRunLock: 'ReleaseStaleRunLock',
  CountRunLockAttempt: 'CountRunLockAttempt',
  CheckRunLockAttempts: 'CheckRunLockAttempts',
  RunLockContended: 'RunLockContended',
  MarkAlreadyRunning: 'MarkAlreadyRunning',
  AlreadyRunning: 'AlreadyRunning',
  // Released on every end of a run that took it: before Summarize, and on the failure path.
  ReleaseRunLock: 'ReleaseRunLock',
  ReleaseRunLockOnFailure: 'ReleaseRunLockOnFailure',

  // Trigger and retraining cooldown (pipeline/phases/cooldown.ts): a run whose input names a `reason` (a monitor
  // alarm, through EventBridge) runs only outside the cooldown of the last such run; otherwise it ends `cooldown`.
  CheckTrigger: 'CheckTrigger',
  TriggerEvidence: 'TriggerEvidence',
  TriggerGiven: 'TriggerGiven',
  TriggerManual: 'TriggerManual',
  CheckRetrainingCooldown: 'CheckRetrainingCooldown',
  CheckCooldownResult: 'CheckCooldownResult',
  MarkCooldown: 'MarkCooldown',
  ReleaseRunLockInCooldown: 'ReleaseRunLockInCooldown',
  Cooldown: 'Cooldown',

  // Training window (only when trainingWindowDays > 0): one Athena query for the window's first day, its one row
  // read into $.trainingWindow.start; every later export query reads only the partitions from that day on.
  FindTrainingWindow: 'FindTrainingWindow',
  ReadTrainingWindow: 'ReadTrainingWindow',

  // Split plan: one Athena query choosing the cutoffs, its one row read, and a Choice on its status
  PlanSplit: 'PlanSplit',
  ReadSplitPlan: 'ReadSplitPlan',
  CheckSplitPlan: 'CheckSplitPlan',
  MarkInsufficientData: 'MarkInsufficientData',

  // Export (a Parallel: one Athena UNLOAD per split, Parquet under runs/<id>/data/<split>/)
  ExportDataset: 'ExportDataset',
  UnloadTrainSplit: 'UnloadTrainSplit',
  UnloadValidationSplit: 'UnloadValidationSplit',
  UnloadHoldoutSplit: 'UnloadHoldoutSplit',
  PrepareScoringInput: 'PrepareScoringInput',

  // AutoML
  StartAutoML: 'StartAutoML',
  InitAutoMLPoll: 'InitAutoMLPoll',
  WaitAutoML: 'WaitAutoML',
  DescribeAutoML: 'DescribeAutoML',
  CountAutoMLPoll: 'CountAutoMLPoll',
  CheckAutoML: 'CheckAutoML',
  AutoMLFailed: 'AutoMLFailed',
  AutoMLStopped: 'AutoMLStopped',
  AutoMLPollLimit: 'AutoMLPollLimit',

  // Serving model lookup (the incumbent to beat): ListEndpoints, exact name match, then DescribeEndpoint
  FindServingEndpoint: 'FindServingEndpoint',
  NameServingEndpoints: 'NameServingEndpoints',
  ServingEndpointName: 'ServingEndpointName',
  MatchServingEndpoint: 'MatchServingEndpoint',
  CheckServingEndpointListed: 'CheckServingEndpointListed',
  DescribeServingEndpoint: 'DescribeServingEndpoint',
  CheckServingEndpoint: 'CheckServingEndpoint',
  FindServingConfig: 'FindServingConfig',
  NoServingModel: 'NoServingModel',

  // Scoring (a Parallel: candidate and serving model on the same holdout)
  ScoreCandidates: 'ScoreCandidates',
  PrepareCandidateContainers: 'PrepareCandidateContainers',
  CreateCandidateModel: 'CreateCandidateModel',
  DescribeCandidateModel: 'DescribeCandidateModel',
  CompareCandidateModel: 'CompareCandidateModel',
  CheckCandidateModel: 'CheckCandidateModel',
  CandidateModelConflict: 'CandidateModelConflict',
  CandidateModelFailed: 'CandidateModelFailed',
  ScoreCandidateModel: 'ScoreCandidateModel',
  CheckServingModel: 'CheckServingModel',
  ScoreServingModel: 'ScoreServingModel',
  SkipServingModel: 'SkipServingModel',
  // A transform job of this run's name that already exists (a retry after a lost response) is adopted
  InitCandidateTransformPoll: 'InitCandidateTransformPoll',
  WaitCandidateTransform: 'WaitCandidateTransform',
  DescribeCandidateTransform: 'DescribeCandidateTransform',
  CountCandidateTransformPoll: 'CountCandidateTransformPoll',
  CheckCandidateTransform: 'CheckCandidateTransform',
  AdoptCandidateTransform: 'AdoptCandidateTransform',
  CandidateTransformConflict: 'CandidateTransformConflict',
  CandidateTransformFailed: 'CandidateTransformFailed',
  InitServingTransformPoll: 'InitServingTransformPoll',
  WaitServingTransform: 'WaitServingTransform',
  DescribeServingTransform: 'DescribeServingTransform',
  CountServingTransformPoll: 'CountServingTransformPoll',
  CheckServingTransform: 'CheckServingTransform',
  AdoptServingTransform: 'AdoptServingTransform',
  ServingTransformConflict: 'ServingTransformConflict',
  ServingTransformFailed: 'ServingTransformFailed',

  // Decision
  Evaluate: 'Evaluate',
  PublishEvaluationMetrics: 'PublishEvaluationMetrics',
  Gate: 'Gate',
  MarkNotPromoted: 'MarkNotPromoted',
  RegisterModel: 'RegisterModel',
  AwaitApproval: 'AwaitApproval',
  MarkRejected: 'MarkRejected',
  MarkApprovalTimeout: 'MarkApprovalTimeout',
  RejectModelPackage: 'RejectModelPackage',

  // Deploy (a Parallel holding the blue/green sub-flow)
  Deploy: 'Deploy',
  ApproveModelPackage: 'ApproveModelPackage',
  CreateEndpointConfig: 'CreateEndpointConfig',
  DescribeNewEndpointConfig: 'DescribeNewEndpointConfig',
  CheckNewEndpointConfig: 'CheckNewEndpointConfig',
  EndpointConfigConflict: 'EndpointConfigConflict',
  EndpointConfigFailed: 'EndpointConfigFailed',
  FindEndpoint: 'FindEndpoint',
  NameEndpoints: 'NameEndpoints',
  EndpointName: 'EndpointName',
  MatchEndpoint: 'MatchEndpoint',
  CheckEndpointListed: 'CheckEndpointListed',
  DescribeEndpoint: 'DescribeEndpoint',
  CheckEndpointExists: 'CheckEndpointExists',
  CreateEndpoint: 'CreateEndpoint',
  UpdateEndpoint: 'UpdateEndpoint',
  EndpointNotUpdatable: 'EndpointNotUpdatable',
  InitEndpointPoll: 'InitEndpointPoll',
  WaitEndpoint: 'WaitEndpoint',
  PollEndpoint: 'PollEndpoint',
  CountEndpointPoll: 'CountEndpointPoll',
  CheckEndpoint: 'CheckEndpoint',
  ExplainEndpointFailure: 'ExplainEndpointFailure',
  EndpointFailed: 'EndpointFailed',
  EndpointPollLimit: 'EndpointPollLimit',
  EndpointSettled: 'EndpointSettled',
  CheckDeployment: 'CheckDeployment',
  MarkDeployed: 'MarkDeployed',
  MarkRolledBack: 'MarkRolledBack',

  // Reporting
  PublishMetrics: 'PublishMetrics',
  Notify: 'Notify',
  Summarize: 'Summarize',
  Done: 'Done',
  NotifyFailure: 'NotifyFailure',
  RunFailed: 'RunFailed',
} as const;

export type StateName = (typeof StateNames)[keyof typeof StateNames];

/** The outcome at `$.outcome` of a succeeded execution; a failed execution's outcome is `failed`. */
export const Outcomes = [
  'deployed',
  'not-promoted',
  'rejected',
  'approval-timeout',
  'rolled-back',
  'failed',
  'already-running',
  /** The lake cannot give every time split enough of both classes (the split plan says what is missing). */
  'insufficient-data',
  /** The candidate lost to the serving model on the labelled live readings of its shadow bake (phases/shadow.ts). */
  'shadow-rejected',
] as const;
export type Outcome = (typeof Outcomes)[number];

/** Custom error names raised by the definition (Fail states) or by its Lambda tasks. */
export const PipelineErrors = {
  AutoMLFailed: 'AutoMLFailed',
  PollLimitExceeded: 'PollLimitExceeded',
  EndpointFailed: 'EndpointFailed',
  EndpointNotUpdatable: 'EndpointNotUpdatable',
  ApprovalRejected: 'ApprovalRejected',
  /** A resource of the run's name exists with another definition (or a transform job that was not adopted). */
  ResourceConflict: 'ResourceConflict',
  /** The single-run lock was found stale and freed, yet could not be taken within the allowed attempts. */
  RunLockContended: 'RunLockContended',
} as const;

// Metric names, namespace and dimensions live in observability/metrics.ts (one source for emitters, alarms and
// dashboards); re-exported here so existing imports stay as they are.
export {
  INFERENCE_SERVICE,
  inferenceMetricDimensions,
  METRICS_NAMESPACE,
  PipelineMetrics,
} from '../observability/metrics';

import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { SPLIT_PLAN_COLUMNS, SPLIT_PLAN_OK } from '../../features';
import { StateNames as S } from '../state-names';
import type { PhaseContext } from './context';

/** JSONPath of one column of the split plan's one row in a GetQueryResults answer (row 0 is the header). */
function planColumn(name: (typeof SPLIT_PLAN_COLUMNS)[number]): string {
  // https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html: for a SELECT, the first
  // row of ResultSet.Rows holds the column names; every column of the plan is non-null, so VarCharValue is set.
  return `$.ResultSet.Rows[1].Data[${SPLIT_PLAN_COLUMNS.indexOf(name)}].VarCharValue`;
}

/**
 * PlanSplit (the split-plan query) → ReadSplitPlan → CheckSplitPlan: when the lake cannot give every split enough
 * of both classes, MarkInsufficientData → `insufficient` (the report; nothing is trained or deployed). Otherwise
 * ExportDataset (one Athena query and one copy per time split, by the plan's cutoffs) → PrepareScoringInput →
 * `next`. Returns the chain's entry.
 */
export function buildExport(ctx: PhaseContext, next: sfn.IChainable, insufficient: sfn.IChainable): sfn.IChainable {
  const { scope, stack, props, config } = ctx;
  const bucket = props.artifactsBucketName;
  /** An Athena query run to completion into the run's result folder (SSE-KMS), keeping its execution id. */
  const athenaQuery = (id: string, query: string, resultPath: string, comment?: string): sfn.CustomState =>
    new sfn.CustomState(scope, id, {
      stateJson: {
        Type: 'Task',
        ...(comment ? { Comment: comment } : {}),
        Resource: `arn:${stack.partition}:states:::athena:startQueryExecution.sync`,
        Parameters: {
          QueryString: query,
          QueryExecutionContext: { Database: props.glueDatabaseName, Catalog: 'AwsDataCatalog' },
          WorkGroup: props.athenaWorkGroupName,
          ResultConfiguration: {
            'OutputLocation.$': '$.run.athenaOutput',
            EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: props.kmsKeyArn },
          },
        },
        ResultSelector: { 'queryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
        ResultPath: resultPath,
      },
    });
  const planSplit = ctx.guard(
    athenaQuery(
      S.PlanSplit,
      props.exportQueries.splitPlan,
      '$.splitPlanQuery',
      'Cutoffs that leave train, validation and holdout enough occupied and empty readings',
    ),
    'Athena',
  );
  const planFields: Record<string, string> = {};
  for (const [field, column] of [
    ['status', 'status'],
    ['message', 'message'],
    ['validationStart', 'validation_start'],
    ['holdoutStart', 'holdout_start'],
  ] as const) {
    planFields[`${field}.$`] = planColumn(column);
  }
  const readSplitPlan = ctx.guard(
    new sfn.CustomState(scope, S.ReadSplitPlan, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${stack.partition}:states:::athena:getQueryResults`,
        Parameters: { 'QueryExecutionId.$': '$.splitPlanQuery.queryExecutionId', MaxResults: 2 },
        ResultSelector: planFields,
        ResultPath: '$.splitPlan',
      },
    }),
    'Athena',
  );
  // Ends the run as a report: the evaluation slot carries the plan's message as the reason (console, e-mail).
  const markInsufficientData = new sfn.Pass(scope, S.MarkInsufficientData, {
    parameters: {
      'run.$': '$.run',
      'splitPlan.$': '$.splitPlan',
      result: { outcome: 'insufficient-data', promoted: 0, deployed: 0, rolledBack: 0 },
      evaluation: {
        promote: false,
        decision: 'keep',
        'reasons.$': 'States.Array($.splitPlan.message)',
        summary: 'Not trained: the lake cannot give every time split enough occupied and empty readings.',
        evaluationUri: 'none: the run ended before training; the endpoint is untouched',
      },
      serving: { lookedUp: false, endpointName: config.endpointName },
    },
  }).next(insufficient);
  const checkSplitPlan = new sfn.Choice(scope, S.CheckSplitPlan).otherwise(markInsufficientData);

  const exportDataset = new sfn.Parallel(scope, S.ExportDataset, {
    comment: 'One Athena query per time split, copied to a stable run-scoped key with its header',
    resultPath: sfn.JsonPath.DISCARD,
  });
  const splits = [
    { split: 'train', query: props.exportQueries.train, q: S.QueryTrainSplit, c: S.CopyTrainSplit },
    { split: 'validation', query: props.exportQueries.validation, q: S.QueryValidationSplit, c: S.CopyValidationSplit },
    { split: 'holdout', query: props.exportQueries.holdout, q: S.QueryHoldoutSplit, c: S.CopyHoldoutSplit },
  ] as const;
  for (const { split, query, q, c } of splits) {
    // Athena names its result `<QueryExecutionId>.csv` beside a `.metadata` file; Autopilot reads every
    // object under an S3 prefix, so each split is copied to a key of its own.
    const runQuery = ctx.retryOnly(athenaQuery(q, query, '$.query'), 'Athena');
    const copy = ctx.retryOnly(
      new tasks.CallAwsService(scope, c, {
        service: 's3',
        action: 'copyObject',
        iamAction: 's3:GetObject',
        iamResources: [`${props.artifactsBucketArn}/runs/*`],
        additionalIamStatements: [
          new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [`${props.artifactsBucketArn}/runs/*`] }),
        ],
        parameters: {
          Bucket: bucket,
          Key: sfn.JsonPath.format(`runs/{}/data/${split}.csv`, sfn.JsonPath.stringAt('$.run.id')),
          CopySource: sfn.JsonPath.format(
            `${bucket}/runs/{}/athena/{}.csv`,
            sfn.JsonPath.stringAt('$.run.id'),
            sfn.JsonPath.stringAt('$.query.queryExecutionId'),
          ),
        },
        resultPath: sfn.JsonPath.DISCARD,
      }),
      'S3',
    );
    exportDataset.branch(runQuery.next(copy));
  }
  ctx.guard(exportDataset);
  ctx.statements.push(
    new iam.PolicyStatement({
      actions: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:StopQueryExecution',
        'athena:GetQueryResults',
      ],
      resources: [
        stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.athenaWorkGroupName }),
      ],
    }),
    new iam.PolicyStatement({
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions', 'glue:GetPartition'],
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.glueDatabaseName }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.glueDatabaseName}/*` }),
      ],
    }),
  );

  const prepareScoringInput = ctx.guard(
    new tasks.LambdaInvoke(scope, S.PrepareScoringInput, {
      lambdaFunction: props.scoringInputFunction,
      comment: 'Holdout without header and target: what a batch transform scores',
      payload: sfn.TaskInput.fromObject({
        holdoutUri: sfn.JsonPath.stringAt('$.run.holdoutUri'),
        scoringInputUri: sfn.JsonPath.stringAt('$.run.scoringInputUri'),
        target: 'occupied',
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.scoringInput',
    }),
    'Lambda',
  );
  checkSplitPlan.when(
    sfn.Condition.stringEquals('$.splitPlan.status', SPLIT_PLAN_OK),
    exportDataset.next(prepareScoringInput).next(next),
  );
  return planSplit.next(readSplitPlan).next(checkSplitPlan);
}

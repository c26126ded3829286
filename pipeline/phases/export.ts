import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { StateNames as S } from '../state-names';
import type { PhaseContext } from './context';

/**
 * ExportDataset (one Athena query and one copy per time split) → PrepareScoringInput. Returns the
 * chain's entry; `next` follows PrepareScoringInput.
 */
export function buildExport(ctx: PhaseContext, next: sfn.IChainable): sfn.IChainable {
  const { scope, stack, props } = ctx;
  const bucket = props.artifactsBucketName;
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
    const runQuery = ctx.retryOnly(
      new sfn.CustomState(scope, q, {
        stateJson: {
          Type: 'Task',
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
          ResultPath: '$.query',
        },
      }),
      'Athena',
    );
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
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
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
  return exportDataset.next(prepareScoringInput).next(next);
}

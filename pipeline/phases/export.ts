import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { FLAG_COUNT_COLUMNS, SPLIT_PLAN_COLUMNS, SPLIT_PLAN_OK } from '../../features';
import type { ExportQueries } from '../retraining-definition';
import { StateNames as S } from '../state-names';
import type { PhaseContext } from './context';

/** Columns of the plan's row, in order: with the flag counts last when the plan query has them. */
const PLAN_COLUMNS = [...SPLIT_PLAN_COLUMNS, ...FLAG_COUNT_COLUMNS] as const;

/** JSONPath of one column of the split plan's one row in a GetQueryResults answer (row 0 is the header). */
function planColumn(name: (typeof PLAN_COLUMNS)[number]): string {
  // https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html: for a SELECT, the first
  // row of ResultSet.Rows holds the column names; every column of the plan is non-null, so VarCharValue is set.
  return `$.ResultSet.Rows[1].Data[${PLAN_COLUMNS.indexOf(name)}].VarCharValue`;
}

/** A query text the Athena state sends: fixed, or a `States.Format` filled in at run time. */
type QueryText = { readonly QueryString: string } | { readonly 'QueryString.$': string };

/** The `{}` placeholders of a generated query (the contract of features/: no other braces and no backslashes). */
function placeholders(sql: string, what: string): number {
  const count = sql.split('{}').length - 1;
  if (/[{}\\]/.test(sql.split('{}').join(''))) {
    throw new ExportDefinitionError(`${what}: a brace or backslash other than a {} placeholder`, what);
  }
  return count;
}

export class ExportDefinitionError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'ExportDefinitionError';
  }
}

/**
 * `sql` with its placeholders filled in, in order, from `args` (JSONPaths); a fixed string when there are none.
 * CDK's JsonPath.format escapes the quotes of the SQL for the intrinsic's string literal.
 */
function formatQuery(sql: string, args: readonly string[]): QueryText {
  if (args.length === 0) return { QueryString: sql };
  const token = sfn.JsonPath.format(sql, ...args.map((path) => sfn.JsonPath.stringAt(path)));
  return sfn.FieldUtils.renderObject({ QueryString: token }) as QueryText;
}

/** Athena's UNLOAD of one split query to its run-scoped prefix (the last placeholder: `$.run.<split>Uri`). */
// https://docs.aws.amazon.com/athena/latest/ug/unload.html: the TO location must hold no data; each file written is
// in the query's ORDER BY order, files are not ordered relative to each other; Parquet compression gzip or snappy.
function unloadSql(query: string): string {
  return `UNLOAD (\n${query.trim().replace(/;$/, '')}\n) TO '{}' WITH (format = 'PARQUET', compression = 'SNAPPY')`;
}

/**
 * With a training window (`trainingWindow` set in the export queries): FindTrainingWindow → ReadTrainingWindow
 * (`$.trainingWindow.start`, the first `dt` day read). Then PlanSplit (the split-plan query) → ReadSplitPlan →
 * CheckSplitPlan: when the lake cannot give every split enough of both classes, MarkInsufficientData →
 * `insufficient` (the report; nothing is trained or deployed). Otherwise ExportDataset (one Athena UNLOAD per time
 * split, by the plan's cutoffs, Parquet under `runs/<id>/data/<split>/`) → PrepareScoringInput → `next`. Every
 * `{}` of the window-bound queries is the window's first day. Returns the chain's entry.
 */
export function buildExport(ctx: PhaseContext, next: sfn.IChainable, insufficient: sfn.IChainable): sfn.IChainable {
  const { scope, stack, props, config } = ctx;
  const queries: ExportQueries = props.exportQueries;
  const windowed = queries.trainingWindow !== undefined;
  const windowArgs = (sql: string, what: string): string[] => {
    const count = placeholders(sql, what);
    if (count > 0 && !windowed) {
      throw new ExportDefinitionError(`${what}: ${count} placeholder(s) but no trainingWindow query`, what);
    }
    return Array.from({ length: count }, () => '$.trainingWindow.start');
  };
  /** An Athena query run to completion into the run's result folder (SSE-KMS), keeping its execution id. */
  const athenaQuery = (id: string, query: QueryText, resultPath: string, comment?: string): sfn.CustomState =>
    new sfn.CustomState(scope, id, {
      stateJson: {
        Type: 'Task',
        ...(comment ? { Comment: comment } : {}),
        Resource: `arn:${stack.partition}:states:::athena:startQueryExecution.sync`,
        Parameters: {
          ...query,
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
  /** GetQueryResults of one row (the header is row 0), selected into `resultPath`. */
  const readRow = (id: string, queryPath: string, fields: Record<string, unknown>, resultPath: string) =>
    ctx.guard(
      new sfn.CustomState(scope, id, {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${stack.partition}:states:::athena:getQueryResults`,
          Parameters: { 'QueryExecutionId.$': queryPath, MaxResults: 2 },
          ResultSelector: fields,
          ResultPath: resultPath,
        },
      }),
      'Athena',
    );

  const planSplit = ctx.guard(
    athenaQuery(
      S.PlanSplit,
      formatQuery(queries.splitPlan, windowArgs(queries.splitPlan, 'splitPlan')),
      '$.splitPlanQuery',
      'Cutoffs that leave train, validation and holdout enough occupied and empty readings',
    ),
    'Athena',
  );
  const planFields: Record<string, unknown> = {};
  for (const [field, column] of [
    ['status', 'status'],
    ['message', 'message'],
    ['validationStart', 'validation_start'],
    ['holdoutStart', 'holdout_start'],
  ] as const) {
    planFields[`${field}.$`] = planColumn(column);
  }
  // Readings of the window the sensor health rule flagged (features/split-plan.ts FLAG_COUNT_COLUMNS) and whether
  // the splits leave them out: the run's output and notification carry them next to the plan (strings, as the
  // plan's other columns; `note` says what happened to them for the message).
  const flagged = queries.flaggedReadings;
  planFields.flagged =
    flagged === undefined
      ? { stuck: '-', outOfRange: '-', total: '-', excluded: false, note: 'not counted (no flag rule in the export)' }
      : {
          'stuck.$': planColumn('flagged_stuck'),
          'outOfRange.$': planColumn('flagged_out_of_range'),
          'total.$': planColumn('flagged_total'),
          excluded: flagged.excluded,
          note: flagged.excluded
            ? 'left out of training'
            : 'kept in training (sensorHealth.excludeFromTraining is false)',
        };
  const readSplitPlan = readRow(S.ReadSplitPlan, '$.splitPlanQuery.queryExecutionId', planFields, '$.splitPlan');
  // Ends the run as a report: the evaluation slot carries the plan's message as the reason (console, e-mail).
  const markInsufficientData = new sfn.Pass(scope, S.MarkInsufficientData, {
    parameters: {
      'run.$': '$.run',
      // What started the run (phases/cooldown.ts), for the report.
      'trigger.$': '$.trigger',
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
    comment: 'One Athena UNLOAD per time split: Parquet under the run-scoped prefix of the split',
    resultPath: sfn.JsonPath.DISCARD,
  });
  const splits = [
    { split: 'train', query: queries.train, state: S.UnloadTrainSplit, uri: '$.run.trainUri' },
    { split: 'validation', query: queries.validation, state: S.UnloadValidationSplit, uri: '$.run.validationUri' },
    { split: 'holdout', query: queries.holdout, state: S.UnloadHoldoutSplit, uri: '$.run.holdoutUri' },
  ] as const;
  for (const { split, query, state, uri } of splits) {
    const text = formatQuery(unloadSql(query), [...windowArgs(query, split), uri]);
    exportDataset.branch(ctx.retryOnly(athenaQuery(state, text, '$.query'), 'Athena'));
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
    // Athena writes query results and UNLOAD output with the caller's permissions: only the run's Athena folder and
    // the three split prefixes (S3 reads of runs/* are granted by the construct).
    new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: ['athena', ...splits.map((s) => `data/${s.split}`)].map(
        (folder) => `${props.artifactsBucketArn}/runs/*/${folder}/*`,
      ),
    }),
  );

  const prepareScoringInput = ctx.guard(
    new tasks.LambdaInvoke(scope, S.PrepareScoringInput, {
      lambdaFunction: props.scoringInputFunction,
      comment: 'Holdout (Parquet) without target, as CSV: what a batch transform scores',
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
  const plan = planSplit.next(readSplitPlan).next(checkSplitPlan);
  if (queries.trainingWindow === undefined) return plan;
  // The window query is fixed text; its one row (never NULL, features/window.ts) is the first day to read.
  const findWindow = ctx.guard(
    athenaQuery(
      S.FindTrainingWindow,
      { QueryString: queries.trainingWindow },
      '$.trainingWindowQuery',
      'First day of the training window: the newest labelled days',
    ),
    'Athena',
  );
  const readWindow = readRow(
    S.ReadTrainingWindow,
    '$.trainingWindowQuery.queryExecutionId',
    { 'start.$': '$.ResultSet.Rows[1].Data[0].VarCharValue' },
    '$.trainingWindow',
  );
  return findWindow.next(readWindow).next(planSplit);
}

import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import { computeTrainingBaseline } from '../../monitoring/baseline';
import { ALL_METRICS, MONITOR_SERVICE, OccupancyMetrics } from '../../observability/metrics';
import { parsePipelineConfig } from '../../pipeline/config';
import { TaskInputError } from '../../tasks/errors';
import { createHandler, defaultDeps } from '../../tasks/monitor';
import { AthenaLakeQuery, AthenaQueryFailedError } from '../../tasks/ports/lake-query';
import { MemoryObjectStore } from '../../tasks/ports/object-store';
import { powertools } from '../../tasks/powertools';
import { emfMetrics as declaredEmf, undeclared } from '../observability/metric-sets';
import { captureEmf, emfMetrics } from './monitor-emf';

const athena = mockClient(AthenaClient);
beforeEach(() => athena.reset());

const page = (rows: (string | undefined)[][], NextToken?: string) => ({
  ResultSet: { Rows: rows.map((r) => ({ Data: r.map((v) => (v === undefined ? {} : { VarCharValue: v })) })) },
  ...(NextToken ? { NextToken } : {}),
});

describe('AthenaLakeQuery', () => {
  const options = { database: 'occupancy_lake', workGroup: 'occupancy', outputLocation: 's3://b/athena/', pollMs: 5 };
  const noSleep = async () => undefined;

  it('starts the query in the database and workgroup, polls until SUCCEEDED, reads every page by column name', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q1', NextToken: undefined })
      .resolves(
        page(
          [
            ['a', 'b'],
            ['1', undefined],
          ],
          't2',
        ),
      )
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q1', NextToken: 't2' })
      .resolves(page([['2', 'x']]));
    const rows = await new AthenaLakeQuery(athena as unknown as AthenaClient, { ...options, sleep: noSleep }).select(
      'SELECT 1',
    );
    expect(rows).toEqual([
      { a: '1', b: null },
      { a: '2', b: 'x' },
    ]);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryString: 'SELECT 1',
      QueryExecutionContext: { Database: 'occupancy_lake' },
      WorkGroup: 'occupancy',
      ResultConfiguration: { OutputLocation: 's3://b/athena/' },
    });
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(3);
  });

  it('a FAILED query is an error with Athena’s reason; a query that never ends gives up after maxPolls', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q2' });
    athena
      .on(GetQueryExecutionCommand)
      .resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'COLUMN_NOT_FOUND: sound' } } });
    const query = new AthenaLakeQuery(athena as unknown as AthenaClient, { ...options, sleep: noSleep });
    await expect(query.select('SELECT sound')).rejects.toThrow(AthenaQueryFailedError);
    await expect(query.select('SELECT sound')).rejects.toThrow(/q2 FAILED: COLUMN_NOT_FOUND: sound/);
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    const slow = new AthenaLakeQuery(athena as unknown as AthenaClient, { ...options, maxPolls: 3, sleep: noSleep });
    await expect(slow.select('SELECT 1')).rejects.toThrow(/still RUNNING after 3 polls/);
  });
});

const METRICS_HEADER = [
  'window_index',
  'model_version',
  'variant',
  'answered',
  'fallbacks',
  'labelled',
  'tp',
  'fp',
  'fn',
  'tn',
  'rule_tp',
  'rule_fp',
  'rule_fn',
  'rule_tn',
  'squared_error_sum',
];
// v1: F1 0.6 (tp 30, fp 20, fn 20) vs the rule's 0.8 (tp 40, fp 10, fn 10) on 250 labelled readings.
const V1 = ['0', 'v1', 'AllTraffic', '400', '0', '250', '30', '20', '20', '180', '40', '10', '10', '190', '25.5'];
// v2 (shadow): too few labelled readings to judge its F1, no fallback.
const V2 = ['0', 'v2', 'shadow', '120', '0', '12', '5', '0', '1', '6', '3', '1', '3', '5', '1'];
// The fallback's answers (of no variant): 40 of the endpoint's 560 = 0.0714 > 0.05.
const RULE = ['0', 'threshold:sound>10', '', '40', '40', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0'];
const baseline = computeTrainingBaseline({ sound: Array.from({ length: 100 }, (_, i) => i) });
const soundEdges = baseline.features.sound?.edges ?? [];

describe('monitor handler', () => {
  const config = parsePipelineConfig({ endpointName: 'occupancy', monitoring: { consecutiveWindows: 1 } });
  const store = new MemoryObjectStore();
  store.objects.set('s3://b/models/v1/artifact.json', JSON.stringify({ version: 'v1', trainingBaseline: baseline }));

  function mockLake() {
    athena.on(StartQueryExecutionCommand).callsFake((input: { QueryString: string }) => ({
      QueryExecutionId: input.QueryString.includes('label_events') ? 'metrics' : 'drift',
    }));
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand, { QueryExecutionId: 'metrics' }).resolves(page([METRICS_HEADER, RULE, V1, V2]));
    // Every live sound value above the baseline's top edge: all 400 in the last finite bin.
    const driftHeader = ['window_index', 'variant', 'answered', 'f0_missing', ...soundEdges.map((_, j) => `f0_le${j}`)];
    const driftRow = ['0', 'AllTraffic', '400', '0', ...soundEdges.map(() => '0')];
    athena.on(GetQueryResultsCommand, { QueryExecutionId: 'drift' }).resolves(page([driftHeader, driftRow]));
  }

  const handler = () =>
    createHandler({
      ...powertools('monitor'),
      config,
      dialect: 'athena',
      predictionsTable: 'predictions',
      labelsTable: 'labels',
      store,
      lake: new AthenaLakeQuery(athena as unknown as AthenaClient, { database: 'lake', workGroup: 'wg' }),
      now: () => Date.UTC(2024, 0, 10, 1, 0, 30),
    });

  it('returns the figures and verdicts and publishes the newest window per variant', async () => {
    mockLake();
    let report: Awaited<ReturnType<ReturnType<typeof handler>>> | undefined;
    const docs = await captureEmf(async () => {
      report = await handler()({ baselineUris: { v1: 's3://b/models/v1/artifact.json' } }, lambdaContext('Monitor'));
    });
    expect(report?.windowEndMs).toBe(Date.UTC(2024, 0, 10, 1, 0)); // now, floored to the minute
    expect(report?.verdicts.map((v) => v.reason)).toEqual([
      'fallback-rate',
      'live-f1-below-static-rule',
      'sustained-drift',
    ]);
    expect(report?.endpoint).toEqual([{ windowIndex: 0, answered: 560, fallbacks: 40, fallbackRate: 40 / 560 }]);
    expect(report?.variants.map((v) => v.variant)).toEqual(['AllTraffic', 'shadow']); // the rule's rows are no variant
    const v1 = report?.variants.find((v) => v.modelVersion === 'v1');
    expect(v1?.hasBaseline).toBe(true);
    expect(v1?.windows[0]?.metrics).toMatchObject({ f1: 0.6, staticRuleF1: 0.8, labelledReadings: 250 });
    expect(v1?.windows[0]?.drift[0]).toMatchObject({ feature: 'sound', drifting: true });
    expect(report?.variants.find((v) => v.modelVersion === 'v2')).toMatchObject({ hasBaseline: false, verdicts: [] });
    // Only v1's drift query ran (v2 has no baseline); both queries name the configured tables.
    const queries = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString ?? '');
    expect(queries).toHaveLength(2);
    expect(queries[1]).toContain(`"model_version" = 'v1'`);

    const published = emfMetrics(docs);
    const dims = { EndpointName: 'occupancy', VariantName: 'AllTraffic', service: 'monitor' };
    expect(published).toEqual(
      expect.arrayContaining([
        { name: 'LiveF1', value: 0.6, dimensions: dims, modelVersion: 'v1' },
        { name: 'StaticRuleLiveF1', value: 0.8, dimensions: dims, modelVersion: 'v1' },
        {
          name: 'LiveFallbackRate',
          value: 40 / 560,
          dimensions: { EndpointName: 'occupancy', service: 'monitor' },
          modelVersion: undefined,
        },
        { name: 'LabelledReadings', value: 250, dimensions: dims, modelVersion: 'v1' },
        expect.objectContaining({ name: 'FeatureDrift', dimensions: { ...dims, Feature: 'sound' } }),
      ]),
    );
    // v2 has 12 labelled readings (< 200): its counts are published, its F1s are not.
    const v2 = published.filter((m) => m.dimensions.VariantName === 'shadow').map((m) => m.name);
    expect(v2.sort()).toEqual(['LabelledReadings', 'LiveReadings']);
  });

  it('publishes only metrics declared in observability/metrics.ts, with their dimensions and unit', async () => {
    mockLake();
    const docs = await captureEmf(async () => {
      await handler()({ baselineUris: { v1: 's3://b/models/v1/artifact.json' } }, lambdaContext('Monitor'));
    });
    const emitted = docs.flatMap((doc) => declaredEmf(doc, 'monitor Lambda'));
    expect(undeclared(emitted, ALL_METRICS)).toEqual([]);
    const monitorMetrics = Object.values(OccupancyMetrics).filter((m) => m.publishedBy.startsWith('monitor'));
    expect(new Set(emitted.map((e) => e.name))).toEqual(new Set(monitorMetrics.map((m) => m.name)));
    expect(emitted.every((e) => e.dimensions.service === MONITOR_SERVICE)).toBe(true);
  });

  it('refuses a malformed input naming the field', async () => {
    await expect(handler()({ windowEnd: 'yesterday' }, lambdaContext('Monitor'))).rejects.toThrow(TaskInputError);
    await expect(handler()({ baselineUris: { v1: '/tmp/x' } }, lambdaContext('Monitor'))).rejects.toMatchObject({
      field: 'baselineUris.v1',
    });
  });

  it('reads its configuration once, refusing a bad one with the variable named', () => {
    const env = { ATHENA_DATABASE: 'lake', ATHENA_WORKGROUP: 'wg', AWS_REGION: 'eu-west-1' };
    expect(() => defaultDeps({ ...env, PIPELINE_CONFIG: '{"monitoring":{"windowMinutes":1}}' })).toThrow(
      /PIPELINE_CONFIG.*monitoring\.windowMinutes/,
    );
    expect(() => defaultDeps({ ATHENA_WORKGROUP: 'wg', PIPELINE_CONFIG: '{}' })).toThrow(/ATHENA_DATABASE/);
    const deps = defaultDeps({ ...env, PIPELINE_CONFIG: '{}' });
    expect(deps.config.monitoring.windowMinutes).toBe(360);
    expect(deps.dialect).toBe('athena');
  });
});

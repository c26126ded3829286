import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IngestionStack } from '../../infra/stacks/ingestion-stack';
import { ServingStack } from '../../infra/stacks/serving-stack';
import { compileIotSql } from '../../local/iot/iot-sql';
import { parsePipelineConfig } from '../../pipeline/config';
import { INFERENCE_RULE_SQL } from '../../tasks/infer-occupancy/rule-sql';
import { signalSetById } from '../../telemetry/signals';
import { LABELS_RULE_SQL, telemetryRuleSql } from '../../telemetry/wire';

/**
 * The SQL each deployed TopicRule carries is the very constant the local rules evaluate (local/iot/rules.ts), and
 * it compiles in the local IoT SQL evaluator, so the local runtime tests exactly what AWS would run.
 */
const config = parsePipelineConfig({});
const app = new App();
const ingestion = new IngestionStack(app, 'Ingestion', { config });
const serving = new ServingStack(app, 'Serving', {
  config,
  key: ingestion.key,
  artifactsBucket: ingestion.artifactsBucket,
});

type TopicRule = { Properties: { TopicRulePayload: { Sql: string; AwsIotSqlVersion: string } } };
const rules = [Template.fromStack(ingestion), Template.fromStack(serving)].flatMap((t) =>
  Object.values(t.findResources('AWS::IoT::TopicRule') as Record<string, TopicRule>).map(
    (r) => r.Properties.TopicRulePayload,
  ),
);

describe('deployed IoT rules', () => {
  it('are the three rules the local runtime evaluates, with the same SQL text and version 2016-03-23', () => {
    const local = [telemetryRuleSql(signalSetById(config.signalSetId)), LABELS_RULE_SQL, INFERENCE_RULE_SQL];
    expect(rules.map((r) => r.Sql).sort()).toEqual([...local].sort());
    expect(new Set(rules.map((r) => r.AwsIotSqlVersion))).toEqual(new Set(['2016-03-23']));
  });

  it('compile in the local IoT SQL evaluator (no function AWS does not document)', () => {
    for (const { Sql } of rules) expect(() => compileIotSql(Sql)).not.toThrow();
  });

  it('read the shadow documents topic (telemetry, inference) and the labels topic', () => {
    expect(rules.map((r) => compileIotSql(r.Sql).topicFilter).sort()).toEqual([
      '$aws/things/+/shadow/update/documents',
      '$aws/things/+/shadow/update/documents',
      'occupancy/labels/+',
    ]);
  });

  it("write rows whose keys are the Glue tables' columns (JSON lines read by name)", () => {
    const now = Date.UTC(2026, 0, 5, 10);
    const reported = { temperature: 21, humidity: 40, sound: 5, hvacStatus: 'OFF', timestamp: now - 1 };
    const telemetryRow = compileIotSql(telemetryRuleSql(signalSetById(config.signalSetId))).apply(
      '$aws/things/room-01/shadow/update/documents',
      { previous: null, current: { state: { reported } }, timestamp: 1 },
      now,
    );
    const labelRow = compileIotSql(LABELS_RULE_SQL).apply(
      'occupancy/labels/room-01',
      { thingName: 'room-01', timestamp: now - 1, occupied: true },
      now,
    );
    type Table = { Properties: { TableInput: { Name: string; StorageDescriptor: { Columns: { Name: string }[] } } } };
    const tables = Object.values(
      Template.fromStack(ingestion).findResources('AWS::Glue::Table') as Record<string, Table>,
    );
    const columns = (name: string) =>
      tables
        .find((t) => t.Properties.TableInput.Name === name)
        ?.Properties.TableInput.StorageDescriptor.Columns.map((c) => c.Name)
        .sort();
    expect(Object.keys(telemetryRow ?? {}).sort()).toEqual(columns('telemetry'));
    expect(Object.keys(labelRow ?? {}).sort()).toEqual(columns('labels'));
  });
});

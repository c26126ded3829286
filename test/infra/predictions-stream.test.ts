import { Match } from 'aws-cdk-lib/assertions';
import { predictionColumns, servedFeatureSpec } from '../../tasks/infer-occupancy/prediction-record';
import { THERMOSTAT } from '../../telemetry/signals';
import { type Json, props, referencedId, resourcesOf, roleStatements, type Synthesized, synthesize } from './templates';

/** Predictions are data (issue 21): the predictions table, its Parquet stream, and the Lambda's one permission. */

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
});

function predictionsTableId(): string {
  const found = resourcesOf(synth.templates.ingestion, 'AWS::Glue::Table').find(
    ([, t]) => (props(t).TableInput as Json).Name === 'predictions',
  );
  if (!found) throw new Error('no predictions table');
  return found[0];
}

function predictionsStream(): [string, Json] {
  const tableId = predictionsTableId();
  const found = resourcesOf(synth.templates.ingestion, 'AWS::KinesisFirehose::DeliveryStream').find(([, s]) => {
    const conversion = ((props(s).ExtendedS3DestinationConfiguration as Json).DataFormatConversionConfiguration ??
      {}) as Json;
    const schema = (conversion.SchemaConfiguration ?? {}) as Json;
    return referencedId(schema.TableName) === tableId;
  });
  if (!found) throw new Error('no stream converts against the predictions table');
  return found;
}

it('defines the predictions Glue table: the served feature columns, dt partitions with projection', () => {
  const columns = predictionColumns(servedFeatureSpec(THERMOSTAT)).map((c) => ({ Name: c.name, Type: c.glue }));
  synth.templates.ingestion.hasResourceProperties('AWS::Glue::Table', {
    TableInput: Match.objectLike({
      Name: 'predictions',
      PartitionKeys: [{ Name: 'dt', Type: 'string' }],
      Parameters: Match.objectLike({ 'projection.enabled': 'true', 'projection.dt.type': 'date' }),
      StorageDescriptor: Match.objectLike({ Columns: columns }),
    }),
  });
  expect(columns.slice(0, 8).map((c) => c.Name)).toEqual([
    'thing_name',
    'ts',
    'predicted_at',
    'model_version',
    'variant',
    'probability',
    'decision',
    'source',
  ]);
});

it('converts the stream to SNAPPY Parquet against that table, by day, encrypted with the data key', () => {
  const [, stream] = predictionsStream();
  const s3 = props(stream).ExtendedS3DestinationConfiguration as Json;
  expect(s3.Prefix).toBe('predictions/dt=!{timestamp:yyyy-MM-dd}/');
  expect(s3.DataFormatConversionConfiguration).toMatchObject({
    Enabled: true,
    InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
    OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
  });
  expect(props(stream).DeliveryStreamEncryptionConfigurationInput).toMatchObject({ KeyType: 'CUSTOMER_MANAGED_CMK' });
});

it('lets the inference Lambda PutRecordBatch to the predictions stream only, and nothing else of Firehose', () => {
  const serving = synth.templates.serving;
  const [fnId, fn] =
    resourcesOf(serving, 'AWS::Lambda::Function').find(([id]) => id.startsWith('InferOccupancy')) ?? [];
  if (!fnId || !fn) throw new Error('no inference function');
  const env = ((props(fn).Environment as Json).Variables ?? {}) as Json;
  expect(env.PREDICTIONS_STREAM_NAME).toBeDefined();
  const roleId = referencedId(props(fn).Role);
  if (!roleId) throw new Error('no role');
  const firehose = roleStatements(serving, roleId).filter((s) =>
    [s.Action].flat().some((a) => String(a).startsWith('firehose:')),
  );
  expect(firehose).toHaveLength(1);
  expect(firehose[0]?.Action).toBe('firehose:PutRecordBatch');
  // The resource is the Ingestion stack's predictions stream (a cross-stack import of its ARN).
  const [streamId] = predictionsStream();
  expect(JSON.stringify(firehose[0]?.Resource)).toContain(streamId);
  // No other role of any stack may put to it.
  for (const template of Object.values(synth.templates)) {
    const puts = JSON.stringify(template.toJSON()).match(/firehose:PutRecordBatch/g) ?? [];
    if (template !== serving) {
      const roles = resourcesOf(template, 'AWS::IAM::Policy').filter(([, p]) =>
        JSON.stringify(props(p).PolicyDocument).includes(streamId),
      );
      const granting = roles.filter(([, p]) => JSON.stringify(props(p).PolicyDocument).includes('firehose:Put'));
      expect(granting).toEqual([]);
    } else expect(puts).toHaveLength(1);
  }
});

import { Match } from 'aws-cdk-lib/assertions';
import { SENSOR_FAULT_COLUMNS } from '../../health/types';
import { type Json, props, referencedId, resourcesOf, roleStatements, type Synthesized, synthesize } from './templates';

/** Refused readings are data (issue 22): the sensor_faults table, its Parquet stream, and the Lambda's grant. */

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
});

function tableId(name: string): string {
  const found = resourcesOf(synth.templates.ingestion, 'AWS::Glue::Table').find(
    ([, t]) => (props(t).TableInput as Json).Name === name,
  );
  if (!found) throw new Error(`no ${name} table`);
  return found[0];
}

/** The stream converting against the table named `name`. */
function streamOf(name: string): [string, Json] {
  const id = tableId(name);
  const found = resourcesOf(synth.templates.ingestion, 'AWS::KinesisFirehose::DeliveryStream').find(([, s]) => {
    const conversion = ((props(s).ExtendedS3DestinationConfiguration as Json).DataFormatConversionConfiguration ??
      {}) as Json;
    return referencedId(((conversion.SchemaConfiguration ?? {}) as Json).TableName) === id;
  });
  if (!found) throw new Error(`no stream converts against the ${name} table`);
  return found;
}

it('defines the sensor_faults Glue table from SENSOR_FAULT_COLUMNS, dt partitions with projection', () => {
  synth.templates.ingestion.hasResourceProperties('AWS::Glue::Table', {
    TableInput: Match.objectLike({
      Name: 'sensor_faults',
      PartitionKeys: [{ Name: 'dt', Type: 'string' }],
      Parameters: Match.objectLike({
        classification: 'parquet',
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'storage.location.template': Match.anyValue(),
      }),
      StorageDescriptor: Match.objectLike({
        Columns: SENSOR_FAULT_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })),
        SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      }),
    }),
  });
  const table = resourcesOf(synth.templates.ingestion, 'AWS::Glue::Table').find(
    ([id]) => id === tableId('sensor_faults'),
  );
  const template = JSON.stringify(
    ((props(table?.[1] ?? {}).TableInput as Json).Parameters as Json)['storage.location.template'],
  );
  expect(template).toContain(`/sensor_faults/dt=\${dt}/`);
});

it('converts its stream to SNAPPY Parquet against that table, by day under sensor_faults/, with the data key', () => {
  const [, stream] = streamOf('sensor_faults');
  const s3 = props(stream).ExtendedS3DestinationConfiguration as Json;
  expect(s3.Prefix).toBe('sensor_faults/dt=!{timestamp:yyyy-MM-dd}/');
  expect(s3.ErrorOutputPrefix).toBe('errors/sensor_faults/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/');
  expect(s3.CompressionFormat ?? 'UNCOMPRESSED').toBe('UNCOMPRESSED');
  expect(s3.BufferingHints).toMatchObject({ SizeInMBs: 64 });
  expect(s3.DataFormatConversionConfiguration).toMatchObject({
    Enabled: true,
    InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
    OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
  });
  expect(props(stream).DeliveryStreamEncryptionConfigurationInput).toMatchObject({ KeyType: 'CUSTOMER_MANAGED_CMK' });
});

it('the one construct gives every lake stream the same conversion (telemetry, labels, predictions, sensor_faults)', () => {
  const conversions = ['telemetry', 'labels', 'predictions', 'sensor_faults'].map((name) => {
    const s3 = props(streamOf(name)[1]).ExtendedS3DestinationConfiguration as Json;
    const conversion = s3.DataFormatConversionConfiguration as Json;
    return {
      input: conversion.InputFormatConfiguration,
      output: conversion.OutputFormatConfiguration,
      hints: s3.BufferingHints,
    };
  });
  for (const c of conversions) expect(c).toEqual(conversions[0]);
});

it('gives the inference Lambda the stream name and PutRecordBatch on the two lake streams only', () => {
  const serving = synth.templates.serving;
  const [fnId, fn] =
    resourcesOf(serving, 'AWS::Lambda::Function').find(([id]) => id.startsWith('InferOccupancy')) ?? [];
  if (!fnId || !fn) throw new Error('no inference function');
  const env = ((props(fn).Environment as Json).Variables ?? {}) as Json;
  const [faultsId] = streamOf('sensor_faults');
  const [predictionsId] = streamOf('predictions');
  expect(JSON.stringify(env.SENSOR_FAULTS_STREAM_NAME)).toContain(faultsId);
  const roleId = referencedId(props(fn).Role);
  if (!roleId) throw new Error('no role');
  const firehose = roleStatements(serving, roleId).filter((s) =>
    [s.Action].flat().some((a) => String(a).startsWith('firehose:')),
  );
  expect(firehose).toHaveLength(1);
  expect(firehose[0]?.Action).toBe('firehose:PutRecordBatch');
  const resources = [firehose[0]?.Resource].flat().map((r) => JSON.stringify(r));
  expect(resources).toHaveLength(2);
  expect(resources.some((r) => r.includes(faultsId))).toBe(true);
  expect(resources.some((r) => r.includes(predictionsId))).toBe(true);
});

import { join, relative } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { type Json, resourcesOf, synthesize } from './templates';

/**
 * Issue 19: Firehose converts each JSON record to Parquet against the Glue table of the signal set, and the Glue
 * tables read Parquet, so Athena scans columns instead of JSON text.
 */
interface ConversionConfig {
  Enabled?: boolean;
  SchemaConfiguration: { DatabaseName: string; TableName: { Ref: string }; RoleARN: unknown };
  InputFormatConfiguration: { Deserializer: Record<string, unknown> };
  OutputFormatConfiguration: { Serializer: { ParquetSerDe?: { Compression?: string } } };
}

function lakeOf(context: Record<string, unknown>) {
  const { ingestion } = synthesize(context).templates;
  // Keyed by logical id: the stream names its table with a Ref (which resolves to the table's name).
  const tables = new Map(
    resourcesOf(ingestion, 'AWS::Glue::Table').map(([logicalId, table]) => {
      const input = (table.Properties as Json).TableInput as {
        Name: string;
        Parameters: Record<string, string>;
        StorageDescriptor: { Columns: { Name: string; Type: string }[]; SerdeInfo: { SerializationLibrary: string } };
      };
      return [logicalId, input];
    }),
  );
  const streams = resourcesOf(ingestion, 'AWS::KinesisFirehose::DeliveryStream').map(([, stream]) => {
    const s3 = (stream.Properties as Json).ExtendedS3DestinationConfiguration as {
      Prefix: string;
      CompressionFormat?: string;
      BufferingHints: { SizeInMBs: number };
      DataFormatConversionConfiguration?: ConversionConfig;
    };
    return s3;
  });
  return { ingestion, tables, streams };
}

describe('the lake on AWS is Parquet', () => {
  it('each delivery stream converts JSON to Parquet with the schema of the Glue table of its own prefix', () => {
    const { tables, streams } = lakeOf({});
    expect(streams.map((s) => s.Prefix.split('/')[0]).sort()).toEqual([
      'labels',
      'predictions',
      'sensor_faults',
      'telemetry',
    ]);
    for (const stream of streams) {
      const conversion = stream.DataFormatConversionConfiguration;
      expect(conversion).toBeDefined();
      if (!conversion) continue;
      expect(conversion.Enabled ?? true).toBe(true);
      expect(conversion.SchemaConfiguration.DatabaseName).toBe('occupancy');
      expect(tables.get(conversion.SchemaConfiguration.TableName.Ref)?.Name).toBe(stream.Prefix.split('/')[0]);
      expect(Object.keys(conversion.InputFormatConfiguration.Deserializer)).toEqual(['OpenXJsonSerDe']);
      expect(conversion.OutputFormatConfiguration.Serializer.ParquetSerDe?.Compression).toBe('SNAPPY');
      // Conversion requires ≥ 64 MiB buffers and an uncompressed destination (the serializer compresses).
      expect(stream.BufferingHints.SizeInMBs).toBeGreaterThanOrEqual(64);
      expect(stream.CompressionFormat ?? 'UNCOMPRESSED').toBe('UNCOMPRESSED'); // Firehose's default
    }
    for (const table of tables.values()) {
      expect(table.Parameters.classification).toBe('parquet');
      expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
        'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      );
      expect(table.Parameters['projection.dt.type']).toBe('date');
    }
  });

  it('the telemetry schema Firehose converts with is the signal set’s (a user set changes it)', () => {
    const file = relative(process.cwd(), join(__dirname, '..', 'fixtures', 'signal-sets', 'co2-pir-sound.json'));
    const { tables, streams } = lakeOf({ signalSet: file });
    const telemetryStream = streams.find((s) => s.Prefix.startsWith('telemetry/'));
    const table = tables.get(
      telemetryStream?.DataFormatConversionConfiguration?.SchemaConfiguration.TableName.Ref ?? '',
    );
    expect(table?.StorageDescriptor.Columns.map((c) => `${c.Name}:${c.Type}`)).toEqual([
      'thing_name:string',
      'ts:bigint',
      'received_at:bigint',
      'co2:double',
      'pir:double',
      'sound_north:double',
      'sound_south:double',
    ]);
  });

  it('Firehose may read only the lake’s table definitions from Glue', () => {
    const { ingestion } = lakeOf({});
    ingestion.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
            Resource: Match.arrayWith([Match.objectLike({ 'Fn::Join': Match.anyValue() })]),
          }),
        ]),
      }),
    });
  });
});

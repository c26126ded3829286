import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { FeatureSpec } from '../../features';
import { PREDICTIONS_TABLE, predictionColumns } from '../../tasks/infer-occupancy/prediction-record';

export interface PredictionsStreamProps {
  readonly key: kms.IKey;
  readonly lakeBucket: s3.IBucket;
  /** The Glue database the table goes in (it must exist first: pass its resource as `database`). */
  readonly databaseName: string;
  readonly database: glue.CfnDatabase;
  /** The features the inference Lambda serves with: one double column each (`f_<name>`). */
  readonly featureSpec: FeatureSpec;
  /** @default 'predictions' (PREDICTIONS_TABLE) */
  readonly tableName?: string;
  /** S3 prefix of the table's data. @default 'predictions' */
  readonly prefix?: string;
}

/**
 * The `predictions` table: every answer of the inference Lambda (model or static rule) as lake data, on the same
 * path as telemetry — Firehose (PutRecordBatch from the Lambda) → Parquet against the Glue table → S3 by arrival day,
 * with partition projection. Record format conversion needs a buffer of at least 64 MiB and writes SNAPPY Parquet:
 * https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html
 */
export class PredictionsStream extends Construct {
  readonly table: glue.CfnTable;
  readonly stream: firehose.DeliveryStream;

  constructor(scope: Construct, id: string, props: PredictionsStreamProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const tableName = props.tableName ?? PREDICTIONS_TABLE;
    const prefix = props.prefix ?? 'predictions';
    const bucket = props.lakeBucket.bucketName;
    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName: props.databaseName,
      tableInput: {
        name: tableName,
        description: 'Every realtime answer: thing, reading ts, model/variant, P(occupied), decision, source, features',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'dt', type: 'string' }],
        parameters: {
          classification: 'parquet',
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2020-01-01,NOW',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `s3://${bucket}/${prefix}/dt=\${dt}/`,
        },
        storageDescriptor: {
          columns: predictionColumns(props.featureSpec).map((c) => ({ name: c.name, type: c.glue })),
          location: `s3://${bucket}/${prefix}/`,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    });
    this.table.addResourceDependency(props.database);

    const deliveryLogs = new logs.LogGroup(this, 'DeliveryLogs', {
      encryptionKey: props.key,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stream = new firehose.DeliveryStream(this, 'Stream', {
      encryption: firehose.StreamEncryption.customerManagedKey(props.key),
      destination: new firehose.S3Bucket(props.lakeBucket, {
        dataOutputPrefix: `${prefix}/dt=!{timestamp:yyyy-MM-dd}/`,
        errorOutputPrefix: `errors/${prefix}/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
        bufferingInterval: Duration.seconds(300),
        bufferingSize: Size.mebibytes(64),
        encryptionKey: props.key,
        loggingConfig: new firehose.EnableLogging(deliveryLogs),
        dataFormatConversion: {
          schemaConfiguration: firehose.SchemaConfiguration.fromCfnTable(this.table),
          // The Lambda sends one JSON object per record, keys = column names, ts as epoch-ms numbers.
          inputFormat: firehose.InputFormat.OPENX_JSON,
          outputFormat: new firehose.ParquetOutputFormat({ compression: firehose.ParquetCompression.SNAPPY }),
        },
      }),
    });
  }

  /**
   * Lets `grantee` put records in batches, and nothing else: the Lambda calls PutRecordBatch only (CDK's
   * grantPutRecords would add PutRecord too). Server-side encryption is Firehose's own use of the key: a producer
   * needs no KMS permission. https://docs.aws.amazon.com/firehose/latest/dev/encryption.html
   */
  grantPutRecordBatch(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['firehose:PutRecordBatch'],
      resourceArns: [this.stream.deliveryStreamArn],
    });
  }
}

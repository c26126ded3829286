import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * A lake table fed by Firehose: JSON records (keys = column names, times as epoch-ms numbers) → Parquet (SNAPPY)
 * against the Glue table's schema → `s3://<lake>/<prefix>/dt=<arrival day>/`, read through partition projection (no
 * crawler, no MSCK REPAIR). One definition for telemetry, labels (the IoT rules put), predictions and sensor_faults
 * (the inference Lambda puts). Record format conversion needs a buffer of at least 64 MiB and an uncompressed S3
 * destination (the Parquet serializer compresses): https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html
 */

export interface LakeGlueTableProps {
  /** The Glue database the table goes in (it must exist first: the table depends on `database`). */
  readonly databaseName: string;
  readonly database: glue.CfnDatabase;
  readonly lakeBucket: s3.IBucket;
  readonly tableName: string;
  /** S3 prefix of the table's data (`<prefix>/dt=…/`). */
  readonly prefix: string;
  readonly columns: readonly glue.CfnTable.ColumnProperty[];
  /** @default none */
  readonly description?: string;
}

/** A Parquet Glue table partitioned by `dt` (string, yyyy-MM-dd) with date projection from 2020 to now. */
export function lakeGlueTable(scope: Construct, id: string, props: LakeGlueTableProps): glue.CfnTable {
  const bucket = props.lakeBucket.bucketName;
  const table = new glue.CfnTable(scope, id, {
    catalogId: Stack.of(scope).account,
    databaseName: props.databaseName,
    tableInput: {
      name: props.tableName,
      ...(props.description === undefined ? {} : { description: props.description }),
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
        'storage.location.template': `s3://${bucket}/${props.prefix}/dt=\${dt}/`,
      },
      storageDescriptor: {
        columns: [...props.columns],
        location: `s3://${bucket}/${props.prefix}/`,
        // Firehose writes Parquet against this very table (parquetDeliveryStream).
        inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      },
    },
  });
  table.addResourceDependency(props.database);
  return table;
}

export interface ParquetDeliveryStreamProps {
  readonly key: kms.IKey;
  readonly lakeBucket: s3.IBucket;
  /** The table whose schema the records are converted against; its data prefix is `prefix`. */
  readonly table: glue.CfnTable;
  readonly prefix: string;
  /** Construct ids of the stream and its delivery log group (kept stable: a new id replaces the resource). */
  readonly ids: { readonly stream: string; readonly logs: string };
}

/** A Firehose stream converting JSON records to SNAPPY Parquet against `table`, one folder per arrival day. */
export function parquetDeliveryStream(scope: Construct, props: ParquetDeliveryStreamProps): firehose.DeliveryStream {
  const deliveryLogs = new logs.LogGroup(scope, props.ids.logs, {
    encryptionKey: props.key,
    retention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const { prefix } = props;
  return new firehose.DeliveryStream(scope, props.ids.stream, {
    encryption: firehose.StreamEncryption.customerManagedKey(props.key),
    destination: new firehose.S3Bucket(props.lakeBucket, {
      dataOutputPrefix: `${prefix}/dt=!{timestamp:yyyy-MM-dd}/`,
      errorOutputPrefix: `errors/${prefix}/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
      bufferingInterval: Duration.seconds(300),
      bufferingSize: Size.mebibytes(64),
      encryptionKey: props.key,
      loggingConfig: new firehose.EnableLogging(deliveryLogs),
      dataFormatConversion: {
        schemaConfiguration: firehose.SchemaConfiguration.fromCfnTable(props.table),
        // OpenX reads epoch-millisecond numbers as the table's bigint columns, as the producers send them.
        inputFormat: firehose.InputFormat.OPENX_JSON,
        outputFormat: new firehose.ParquetOutputFormat({ compression: firehose.ParquetCompression.SNAPPY }),
      },
    }),
  });
}

export interface LakeTableStreamProps extends Omit<LakeGlueTableProps, 'prefix'> {
  readonly key: kms.IKey;
  /** S3 prefix of the table's data. @default tableName */
  readonly prefix?: string;
}

/** A lake table and the Firehose stream a Lambda puts its rows to (children `Table`, `DeliveryLogs`, `Stream`). */
export class LakeTableStream extends Construct {
  readonly table: glue.CfnTable;
  readonly stream: firehose.DeliveryStream;
  readonly tableName: string;

  constructor(scope: Construct, id: string, props: LakeTableStreamProps) {
    super(scope, id);
    const prefix = props.prefix ?? props.tableName;
    this.tableName = props.tableName;
    this.table = lakeGlueTable(this, 'Table', { ...props, prefix });
    this.stream = parquetDeliveryStream(this, {
      key: props.key,
      lakeBucket: props.lakeBucket,
      table: this.table,
      prefix,
      ids: { stream: 'Stream', logs: 'DeliveryLogs' },
    });
  }

  /**
   * Lets `grantee` put records in batches, and nothing else: a Lambda calls PutRecordBatch only (CDK's
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

import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import type { Construct } from 'constructs';
import { SENSOR_FAULT_COLUMNS, SENSOR_FAULTS_TABLE } from '../../health/types';
import { type PipelineConfig, signalSetOf } from '../../pipeline/config';
import { PREDICTIONS_TABLE, servedFeatureSpec } from '../../tasks/infer-occupancy/prediction-record';
import { IOT_SQL_VERSION, LABELS_RULE_SQL, LABELS_TOPIC_FILTER, telemetryRuleSql } from '../../telemetry/wire';
import { allowServicePrincipals } from './key-policy';
import { LakeTableStream, lakeGlueTable, parquetDeliveryStream } from './lake-table-stream';
import { predictionsStream } from './predictions-stream';

export interface IngestionStackProps extends StackProps {
  readonly config: PipelineConfig;
}

/** Glue/Athena names; the feature SQL reads `telemetry` and `labels` (features/sql.ts). */
export const LAKE = {
  database: 'occupancy',
  telemetryTable: 'telemetry',
  labelsTable: 'labels',
  predictionsTable: PREDICTIONS_TABLE,
  sensorFaultsTable: SENSOR_FAULTS_TABLE,
  workGroup: 'occupancy',
  labelsTopic: LABELS_TOPIC_FILTER,
} as const;

/**
 * Data lake: shadow reports (IoT rule → Firehose → S3 by day), ground-truth labels on their own topic and
 * table, Glue tables with partition projection, an Athena workgroup with encrypted results. Also holds the
 * KMS key and the artifacts bucket the pipeline and SageMaker share, so no stack depends on a later one.
 */
export class IngestionStack extends Stack {
  readonly key: kms.Key;
  readonly lakeBucket: s3.Bucket;
  readonly artifactsBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly telemetryTableName: string;
  /** Every realtime answer → the `predictions` table (the inference Lambda puts to its stream). */
  readonly predictions: LakeTableStream;
  /** Every reading the inference Lambda refused → the `sensor_faults` table (it puts to this stream). */
  readonly sensorFaults: LakeTableStream;

  constructor(scope: Construct, id: string, props: IngestionStackProps) {
    super(scope, id, props);
    // Buckets given serverAccessLogsBucket grant logging.s3.amazonaws.com through the target's bucket policy, not an ACL.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const { config } = props;
    const signalSet = signalSetOf(config);

    this.key = new kms.Key(this, 'DataKey', {
      alias: 'alias/occupancy-data',
      description: 'occupancy: lake, artifacts, AutoML volumes, endpoint storage, logs, topics',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowServicePrincipals(this, this.key);

    // Server access logs may only go to an SSE-S3 bucket, written by logging.s3.amazonaws.com under a bucket policy
    // (ACLs disabled): https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const bucket = (id: string, lifecycleRules: s3.LifecycleRule[]): s3.Bucket =>
      new s3.Bucket(this, id, {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.key,
        bucketKeyEnabled: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
        serverAccessLogsBucket: this.accessLogsBucket,
        serverAccessLogsPrefix: `${id.toLowerCase()}/`,
        lifecycleRules,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.lakeBucket = bucket('Lake', [
      { transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(90) }] },
      { prefix: 'errors/', expiration: Duration.days(30) },
      { noncurrentVersionExpiration: Duration.days(30) },
    ]);
    this.artifactsBucket = bucket('Artifacts', [
      { prefix: 'runs/', expiration: Duration.days(365) },
      { noncurrentVersionExpiration: Duration.days(30) },
    ]);

    // ---- Glue tables (partition projection: no crawler, no MSCK REPAIR) ----
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: this.account,
      databaseInput: { name: LAKE.database, description: 'occupancy data lake' },
    });
    const telemetryColumns = [
      { name: 'thing_name', type: 'string' },
      { name: 'ts', type: 'bigint' },
      { name: 'received_at', type: 'bigint' },
      ...signalSet.signals.map((s) => ({ name: s.name, type: s.kind === 'numeric' ? 'double' : 'string' })),
    ];
    const labelColumns = [
      { name: 'thing_name', type: 'string' },
      { name: 'ts', type: 'bigint' },
      { name: 'occupied', type: 'boolean' },
    ];
    const lake = { databaseName: LAKE.database, database, lakeBucket: this.lakeBucket };
    const lakeTable = (tableName: string, prefix: string, columns: readonly glue.CfnTable.ColumnProperty[]) =>
      lakeGlueTable(this, `${prefix}Table`, { ...lake, tableName, prefix, columns });
    const telemetryTable = lakeTable(LAKE.telemetryTable, 'telemetry', telemetryColumns);
    const labelsTable = lakeTable(LAKE.labelsTable, 'labels', labelColumns);
    this.telemetryTableName = LAKE.telemetryTable;

    new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: LAKE.workGroup,
      description: 'occupancy feature export',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // Queries name their own run-scoped output location; encryption is enforced per query by the pipeline.
        enforceWorkGroupConfiguration: false,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: 1024 ** 4,
        resultConfiguration: {
          outputLocation: `s3://${this.artifactsBucket.bucketName}/athena/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: this.key.keyArn },
        },
      },
    });

    // ---- IoT → Firehose → S3 ----
    const telemetryStream = this.deliveryStream('Telemetry', 'telemetry', telemetryTable);
    // The Firehose construct always emits its service CIDR mapping, used only by VPC destinations (not ours).
    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason: 'Unused Firehose CIDR mapping emitted by the CDK construct; S3 destinations never reference it.',
    });
    const labelsStream = this.deliveryStream('Labels', 'labels', labelsTable);
    this.predictions = predictionsStream(this, 'Predictions', {
      ...lake,
      key: this.key,
      featureSpec: servedFeatureSpec(signalSet),
    });
    this.sensorFaults = new LakeTableStream(this, 'SensorFaults', {
      ...lake,
      key: this.key,
      tableName: LAKE.sensorFaultsTable,
      description: 'Readings the inference Lambda refused: thing, device ts, received_at, kind, field, code',
      columns: SENSOR_FAULT_COLUMNS,
    });
    const ruleRole = new iam.Role(this, 'IotRuleRole', { assumedBy: new iam.ServicePrincipal('iot.amazonaws.com') });
    telemetryStream.grantPutRecords(ruleRole);
    labelsStream.grantPutRecords(ruleRole);
    const errorLogs = new logs.LogGroup(this, 'IotRuleErrors', {
      encryptionKey: this.key,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    errorLogs.grantWrite(ruleRole);
    const errorAction = { cloudwatchLogs: { logGroupName: errorLogs.logGroupName, roleArn: ruleRole.roleArn } };
    new iot.CfnTopicRule(this, 'TelemetryRule', {
      topicRulePayload: {
        description: 'Each new device reading into the lake, once, with the device time (telemetry/wire.ts)',
        sql: telemetryRuleSql(signalSet),
        awsIotSqlVersion: IOT_SQL_VERSION,
        ruleDisabled: false,
        actions: [
          {
            firehose: {
              deliveryStreamName: telemetryStream.deliveryStreamName,
              roleArn: ruleRole.roleArn,
              separator: '\n',
            },
          },
        ],
        errorAction,
      },
    });
    new iot.CfnTopicRule(this, 'LabelsRule', {
      topicRulePayload: {
        description: 'Ground-truth occupancy (PIR, booking, a person) into its own table; never the threshold rule',
        sql: LABELS_RULE_SQL,
        awsIotSqlVersion: IOT_SQL_VERSION,
        ruleDisabled: false,
        actions: [
          {
            firehose: {
              deliveryStreamName: labelsStream.deliveryStreamName,
              roleArn: ruleRole.roleArn,
              separator: '\n',
            },
          },
        ],
        errorAction,
      },
    });
  }

  /** JSON records from the IoT rule → Parquet (SNAPPY) against the Glue table's schema (lake-table-stream.ts). */
  private deliveryStream(id: string, prefix: string, table: glue.CfnTable): firehose.DeliveryStream {
    return parquetDeliveryStream(this, {
      key: this.key,
      lakeBucket: this.lakeBucket,
      table,
      prefix,
      ids: { stream: `${id}Stream`, logs: `${id}DeliveryLogs` },
    });
  }
}

/** The telemetry rule's SQL lives with the wire format it reads (telemetry/wire.ts); kept importable from here. */
export { telemetryRuleSql };

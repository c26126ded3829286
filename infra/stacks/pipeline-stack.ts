import { join } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../../pipeline/config';
import { RetrainingStateMachine } from '../../pipeline/retraining-state-machine';
import { MODEL_PACKAGE_INDEX } from '../../tasks/ports/approval-store';
import { LAKE } from './ingestion-stack';
import { alarmsOfThisAccount } from './key-policy';
import { LiveMonitor } from './monitor';
import { nodeFunction } from './node-function';
import { RetrainOnEvidence } from './retrain-on-evidence';
import { SensorHealth } from './sensor-health';
import { ShadowComparison } from './shadow-compare';

export interface PipelineStackProps extends StackProps {
  readonly config: PipelineConfig;
  readonly key: kms.IKey;
  readonly lakeBucket: s3.IBucket;
  readonly artifactsBucket: s3.IBucket;
  readonly sageMakerRole: iam.IRole;
  readonly rollbackAlarmNames: readonly string[];
  /** Subscribed to the notification topic. @default no subscription */
  readonly notificationEmail?: string;
}

const TASKS_DIR = join(__dirname, '..', '..', 'tasks');

/**
 * The retraining pipeline: state machine, its Lambdas, the daily schedule, the notification topic, the
 * approval API and token table, and the model package group.
 */
export class PipelineStack extends Stack {
  readonly retraining: RetrainingStateMachine;
  readonly topic: sns.Topic;
  readonly approvalTable: dynamodb.Table;
  readonly approvalApi: apigw.RestApi;
  /** The live monitor and its schedule (./monitor.ts). */
  readonly monitor: LiveMonitor;
  /** The monitor's alarms and the rules starting a retraining on them (./retrain-on-evidence.ts). */
  readonly evidence: RetrainOnEvidence;
  /** The sensor health check, its alarms per kind and their notifier (./sensor-health.ts). */
  readonly sensorHealth: SensorHealth;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config, key } = props;

    this.topic = new sns.Topic(this, 'Notifications', {
      topicName: 'occupancy-notifications',
      displayName: 'occupancy retraining',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.notificationEmail)
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.notificationEmail));
    // The topic has a resource policy (enforceSSL), so a service principal publishes only if it allows it; the key
    // policy (ingestion stack) lets the same alarms encrypt. https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccountPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: alarmsOfThisAccount(this),
      }),
    );

    new sagemaker.CfnModelPackageGroup(this, 'ModelPackageGroup', {
      modelPackageGroupName: config.modelPackageGroupName,
      modelPackageGroupDescription: 'occupancy classifiers; each version carries its holdout evaluation',
    });

    this.approvalTable = new dynamodb.Table(this, 'ApprovalTokens', {
      partitionKey: { name: 'runId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.approvalTable.addGlobalSecondaryIndex({
      indexName: MODEL_PACKAGE_INDEX,
      partitionKey: { name: 'modelPackageArn', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });

    const fn = (
      idName: string,
      file: string,
      description: string,
      environment: Record<string, string> = {},
      sizing: { timeout?: Duration; memorySize?: number } = {},
    ) => nodeFunction(this, idName, { entry: join(TASKS_DIR, file), description, environment, key, ...sizing });
    const evaluate = fn(
      'EvaluateFunction',
      'evaluate.ts',
      'Evaluate: candidate vs baselines vs serving, then the gate',
      {},
      {
        // Reads the holdout and runs the paired bootstrap in memory.
        timeout: Duration.minutes(5),
        memorySize: 3008,
      },
    );
    const scoringInput = fn(
      'ScoringInputFunction',
      'prepare-scoring-input.ts',
      'Holdout without header/target for batch transform',
      {},
      {
        timeout: Duration.minutes(5),
        memorySize: 2048,
      },
    );
    const containers = fn(
      'CandidateContainersFunction',
      'candidate-containers.ts',
      'Autopilot containers with probability output',
    );
    props.artifactsBucket.grantReadWrite(evaluate, 'runs/*');
    props.artifactsBucket.grantReadWrite(scoringInput, 'runs/*');

    const callback = fn(
      'ApprovalCallbackFunction',
      'approval-callback.ts',
      'Approve/reject link and console decision → task token',
      {
        APPROVAL_TABLE: this.approvalTable.tableName,
      },
    );
    this.approvalTable.grantReadWriteData(callback);

    const accessLogs = new logs.LogGroup(this, 'ApprovalApiAccessLogs', {
      encryptionKey: key,
      retention: logs.RetentionDays.ONE_YEAR,
    });
    this.approvalApi = new apigw.RestApi(this, 'ApprovalApi', {
      restApiName: 'occupancy-approval',
      description: 'Signed single-use approve/reject links for candidate models',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'prod',
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: 5,
        throttlingBurstLimit: 10,
      },
    });
    const validator = this.approvalApi.addRequestValidator('ApprovalParams', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const approval = this.approvalApi.root.addResource('approval');
    const integration = new apigw.LambdaIntegration(callback);
    approval.addMethod('GET', integration, {
      requestValidator: validator,
      requestParameters: {
        'method.request.querystring.run': true,
        'method.request.querystring.action': true,
        'method.request.querystring.token': true,
      },
    });
    approval.addMethod('POST', integration, { requestValidator: validator });

    const request = fn(
      'ApprovalRequestFunction',
      'approval-request.ts',
      'AwaitApproval: store task token, e-mail links',
      {
        APPROVAL_TABLE: this.approvalTable.tableName,
        TOPIC_ARN: this.topic.topicArn,
        APPROVAL_API_URL: this.approvalApi.url,
      },
    );
    this.approvalTable.grantWriteData(request);
    this.topic.grantPublish(request);

    // Evidence-started runs' cooldown (pipeline/phases/cooldown.ts); its table is the run lock's, passed in the payload.
    const cooldown = fn(
      'RetrainingCooldownFunction',
      'retraining-cooldown.ts',
      'Cooldown of evidence-started retraining',
    );
    // Shadow before canary (pipeline/phases/shadow.ts): the comparison Lambda and the capture prefix.
    const shadow = new ShadowComparison(this, 'ShadowCompare', {
      key,
      lakeBucket: props.lakeBucket,
      artifactsBucket: props.artifactsBucket,
    });
    this.retraining = new RetrainingStateMachine(this, 'Retraining', {
      config,
      artifactsBucket: props.artifactsBucket,
      lakeBucket: props.lakeBucket,
      key,
      glueDatabaseName: LAKE.database,
      telemetryTableName: LAKE.telemetryTable,
      labelsTableName: LAKE.labelsTable,
      athenaWorkGroupName: LAKE.workGroup,
      sageMakerRole: props.sageMakerRole,
      notificationTopic: this.topic,
      evaluateFunction: evaluate,
      approvalRequestFunction: request,
      candidateContainersFunction: containers,
      scoringInputFunction: scoringInput,
      cooldownFunction: cooldown,
      shadow: shadow.shadow,
      rollbackAlarmNames: props.rollbackAlarmNames,
    });
    this.retraining.runLockTable.grantReadWriteData(cooldown);
    this.monitor = new LiveMonitor(this, 'Monitor', {
      config,
      key,
      lakeBucket: props.lakeBucket,
      artifactsBucket: props.artifactsBucket,
    });
    this.evidence = new RetrainOnEvidence(this, 'RetrainOnEvidence', {
      config,
      stateMachine: this.retraining.stateMachine,
    });
    this.sensorHealth = new SensorHealth(this, 'SensorHealth', {
      config,
      key,
      lakeBucket: props.lakeBucket,
      artifactsBucket: props.artifactsBucket,
      topic: this.topic,
    });
    // kms:CreateGrant for CreateEndpoint/UpdateEndpoint with a KmsKeyId: the definition's statements (pipeline/phases/deploy.ts).
    // By name, not by reference: the state machine depends (through the request function's API URL) on the
    // API that invokes this callback, so a reference here would close a dependency cycle.
    callback.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        resources: [
          this.formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: this.retraining.stateMachineName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );

    // A person approving or rejecting in the SageMaker console answers the same token.
    new events.Rule(this, 'ModelPackageDecisions', {
      description: 'SageMaker console approve/reject of an occupancy model package → approval callback',
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        detail: {
          ModelPackageGroupName: [config.modelPackageGroupName],
          ModelApprovalStatus: ['Approved', 'Rejected'],
        },
      },
      targets: [new targets.LambdaFunction(callback, { retryAttempts: 4, maxEventAge: Duration.hours(2) })],
    });

    // ---- schedule ----
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    });
    this.retraining.stateMachine.grantStartExecution(schedulerRole);
    new scheduler.CfnSchedule(this, 'RetrainingSchedule', {
      name: 'occupancy-retraining',
      description: 'Start a retraining run',
      scheduleExpression: config.schedule.expression,
      scheduleExpressionTimezone: config.schedule.timezone,
      state: config.schedule.enabled ? 'ENABLED' : 'DISABLED',
      kmsKeyArn: key.keyArn,
      flexibleTimeWindow:
        config.schedule.flexibleWindowMinutes > 0
          ? { mode: 'FLEXIBLE', maximumWindowInMinutes: config.schedule.flexibleWindowMinutes }
          : { mode: 'OFF' },
      target: {
        arn: this.retraining.stateMachine.stateMachineArn,
        roleArn: schedulerRole.roleArn,
        input: JSON.stringify({ trigger: 'schedule' }),
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
      },
    });
    key.grant(schedulerRole, 'kms:Decrypt');
  }
}

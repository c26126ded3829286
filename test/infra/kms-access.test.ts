import { renderStateMachineAsl } from '../../pipeline/render-asl';
import {
  allowsAll,
  coversAction,
  dataKey,
  type Json,
  props,
  referencedId,
  resourcesOf,
  roleStatements,
  rolesAssumedBy,
  type Statement,
  servicePrincipal,
  synthesize,
} from './templates';

// Every service that writes to a target encrypted with the shared key, checked from the synthesized templates:
// either the key policy lets the service principal use the key (scoped to this account's resources), or the
// role the service acts with may use it (the key policy delegates to IAM through the account root statement).
const { templates } = synthesize({ notificationEmail: 'ops@example.com' });
const key = dataKey(templates.ingestion);
const allTemplates = Object.values(templates);

function keyStatementFor(service: string): Statement {
  const statement = key.policy.find((s) => s.Effect === 'Allow' && servicePrincipal(s) === service);
  if (!statement) throw new Error(`the key policy has no statement for ${service}`);
  return statement;
}

function stateMachineRole(): string {
  const [[, machine]] = resourcesOf(templates.pipeline, 'AWS::StepFunctions::StateMachine') as [[string, Json]];
  const id = referencedId(props(machine).RoleArn);
  if (!id) throw new Error('state machine role not found');
  return id;
}

describe('KMS: every service writing to a key-encrypted target may use the key', () => {
  it('CloudWatch alarms may publish to the encrypted topic: key policy and topic policy, scoped to this account', () => {
    // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    const [[topicId, topic]] = resourcesOf(templates.pipeline, 'AWS::SNS::Topic') as [[string, Json]];
    expect(JSON.stringify(props(topic).KmsMasterKeyId)).toContain(key.id);
    const alarmsNotifying = resourcesOf(templates.observability, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
      JSON.stringify([props(a).AlarmActions, props(a).OKActions]).includes('Notifications'),
    );
    expect(alarmsNotifying.length).toBeGreaterThan(0);

    const statement = keyStatementFor('cloudwatch.amazonaws.com');
    expect(coversAction(statement, 'kms:GenerateDataKey') && coversAction(statement, 'kms:Decrypt')).toBe(true);
    expect(statement.Condition).toEqual(
      expect.objectContaining({
        StringEquals: { 'aws:SourceAccount': expect.anything() },
        ArnLike: { 'aws:SourceArn': expect.anything() },
      }),
    );
    expect(JSON.stringify(statement.Condition?.ArnLike?.['aws:SourceArn'])).toMatch(/:cloudwatch:.*:alarm:\*/);

    // With a topic policy present, a service principal can publish only if the policy allows it.
    // https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
    const [[, topicPolicy]] = resourcesOf(templates.pipeline, 'AWS::SNS::TopicPolicy') as [[string, Json]];
    expect(JSON.stringify(props(topicPolicy).Topics)).toContain(topicId);
    const publish = (props(topicPolicy).PolicyDocument as { Statement: Statement[] }).Statement.find(
      (s) => s.Effect === 'Allow' && servicePrincipal(s) === 'cloudwatch.amazonaws.com',
    );
    expect(publish && coversAction(publish, 'sns:Publish')).toBe(true);
    expect(publish?.Condition).toEqual(
      expect.objectContaining({ StringEquals: { 'aws:SourceAccount': expect.anything() }, ArnLike: expect.anything() }),
    );
  });

  it('CloudWatch Logs may use the key only for log groups of this account (encryption context)', () => {
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    // The principal is logs.<region>.amazonaws.com (a token in an environment-agnostic synth).
    const s = key.policy.find((st) => st.Effect === 'Allow' && JSON.stringify(st.Principal ?? '').includes('logs.'));
    if (!s) throw new Error('the key policy has no CloudWatch Logs statement');
    expect(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'].every((a) => coversAction(s, a))).toBe(true);
    expect(JSON.stringify(s.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn'])).toMatch(/:log-group:\*/);
    for (const template of allTemplates) {
      for (const [, group] of resourcesOf(template, 'AWS::Logs::LogGroup')) {
        expect(JSON.stringify(props(group).KmsKeyId)).toContain(key.id);
      }
    }
  });

  it('kms:CreateGrant is allowed only for grants to AWS resources, and the state machine and SageMaker roles have it', () => {
    // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
    for (const template of allTemplates) {
      for (const [roleId] of resourcesOf(template, 'AWS::IAM::Role')) {
        for (const s of roleStatements(template, roleId).filter((st) => st.Effect === 'Allow')) {
          if (!coversAction(s, 'kms:CreateGrant')) continue;
          expect({ roleId, condition: s.Condition }).toEqual({
            roleId,
            condition: expect.objectContaining({ Bool: { 'kms:GrantIsForAWSResource': 'true' } }),
          });
        }
      }
    }
    // CreateEndpoint/UpdateEndpoint with an endpoint config KmsKeyId: the caller creates the volume grant.
    expect(allowsAll(roleStatements(templates.pipeline, stateMachineRole()), ['kms:CreateGrant'], key.id)).toBe(true);
    // The state machine role's grants are for SageMaker only (kms:ViaService), never for any other AWS service.
    const smGrants = roleStatements(templates.pipeline, stateMachineRole()).filter(
      (st) => st.Effect === 'Allow' && coversAction(st, 'kms:CreateGrant'),
    );
    expect(smGrants.length).toBeGreaterThan(0);
    for (const st of smGrants) {
      expect(JSON.stringify(st.Condition?.StringEquals?.['kms:ViaService'])).toMatch(/sagemaker\./);
    }
    const [sageMakerRole] = rolesAssumedBy(templates.serving, 'sagemaker.amazonaws.com');
    expect(sageMakerRole).toBeDefined();
    expect(
      allowsAll(
        roleStatements(templates.serving, sageMakerRole as string),
        ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
        key.id,
      ),
    ).toBe(true);
  });

  it('every KMS key and role the state machine hands to SageMaker and Athena is the data key and a role that may use it', () => {
    const asl = renderStateMachineAsl(templates.pipeline.toJSON());
    const keys: string[] = [];
    const roles: string[] = [];
    const walk = (value: unknown): void => {
      if (value === null || typeof value !== 'object') return;
      for (const [name, v] of Object.entries(value)) {
        if (/^(Volume)?Kms(Key|KeyId)$/.test(name)) keys.push(String(v));
        if (/^(Execution)?RoleArn$/.test(name)) roles.push(String(v));
        walk(v);
      }
    };
    walk(asl.States);
    // AutoML output and volumes, transform output and volumes, endpoint storage, Athena results: at least one each.
    expect(keys.length).toBeGreaterThanOrEqual(6);
    for (const k of keys) expect(k.toLowerCase()).toContain(key.id.toLowerCase());
    const [sageMakerRole] = rolesAssumedBy(templates.serving, 'sagemaker.amazonaws.com');
    expect(roles.length).toBeGreaterThan(0);
    for (const r of roles) expect(r.toLowerCase()).toContain(String(sageMakerRole).toLowerCase());
    // The state machine passes that role, and may itself use the key for the requests it signs (Athena results).
    const machine = roleStatements(templates.pipeline, stateMachineRole());
    expect(allowsAll(machine, ['iam:PassRole'], String(sageMakerRole))).toBe(true);
    expect(allowsAll(machine, ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], key.id)).toBe(true);
  });

  it('EventBridge Scheduler starts the state machine with a role that may decrypt the schedule payload', () => {
    // https://docs.aws.amazon.com/scheduler/latest/UserGuide/encryption-rest.html
    // The retraining schedule (the monitor's schedule invokes a Lambda: test/infra/retrain-on-evidence.test.ts).
    const machines = resourcesOf(templates.pipeline, 'AWS::StepFunctions::StateMachine').map(([id]) => id);
    const [, schedule] = resourcesOf(templates.pipeline, 'AWS::Scheduler::Schedule').find(([, s]) =>
      machines.includes(referencedId((props(s).Target as Json).Arn) ?? ''),
    ) as [string, Json];
    expect(JSON.stringify(props(schedule).KmsKeyArn)).toContain(key.id);
    const target = props(schedule).Target as Json;
    const roleId = referencedId(target.RoleArn) as string;
    const machineId = referencedId(target.Arn) as string;
    const statements = roleStatements(templates.pipeline, roleId);
    expect(allowsAll(statements, ['kms:Decrypt'], key.id)).toBe(true);
    expect(allowsAll(statements, ['states:StartExecution'], machineId)).toBe(true);
    const trust = JSON.stringify(props(templates.pipeline.toJSON().Resources[roleId] as Json).AssumeRolePolicyDocument);
    expect(trust).toContain('scheduler.amazonaws.com');
    expect(trust).toContain('aws:SourceAccount');
  });

  it('Firehose writes the lake with the key: stream encryption and the S3 destination role', () => {
    const streams = resourcesOf(templates.ingestion, 'AWS::KinesisFirehose::DeliveryStream');
    expect(streams.length).toBeGreaterThan(0);
    for (const [, stream] of streams) {
      const p = props(stream);
      expect(JSON.stringify(p.DeliveryStreamEncryptionConfigurationInput)).toContain(key.id);
      const destination = p.ExtendedS3DestinationConfiguration as Json;
      expect(JSON.stringify(destination.EncryptionConfiguration)).toContain(key.id);
      const roleId = referencedId(destination.RoleARN) as string;
      const statements = roleStatements(templates.ingestion, roleId);
      expect(allowsAll(statements, ['kms:GenerateDataKey', 'kms:Decrypt'], key.id)).toBe(true);
      expect(allowsAll(statements, ['s3:PutObject'])).toBe(true);
    }
  });

  it('IoT rules put into the encrypted streams and log errors to an encrypted log group with a role allowed both', () => {
    // Firehose encrypts server-side with the grant it holds for the stream; the rule's role needs only PutRecord.
    const streamIds = resourcesOf(templates.ingestion, 'AWS::KinesisFirehose::DeliveryStream').map(([id]) => id);
    const rules = resourcesOf(templates.ingestion, 'AWS::IoT::TopicRule');
    expect(rules.length).toBeGreaterThan(0);
    for (const [, rule] of rules) {
      const payload = props(rule).TopicRulePayload as { Actions: Json[]; ErrorAction?: Json };
      for (const action of [...payload.Actions, payload.ErrorAction].filter((a): a is Json => a !== undefined)) {
        const [kind, target] = Object.entries(action)[0] as [string, Json];
        const statements = roleStatements(templates.ingestion, referencedId(target.RoleArn) as string);
        if (kind === 'Firehose') {
          const stream = streamIds.find((id) => JSON.stringify(target.DeliveryStreamName).includes(id));
          expect(stream).toBeDefined();
          expect(allowsAll(statements, ['firehose:PutRecord', 'firehose:PutRecordBatch'], stream)).toBe(true);
        } else {
          expect(kind).toBe('CloudwatchLogs');
          const group = referencedId(target.LogGroupName) as string;
          const logGroup = templates.ingestion.toJSON().Resources[group] as Json;
          expect(JSON.stringify(props(logGroup).KmsKeyId)).toContain(key.id);
          expect(allowsAll(statements, ['logs:CreateLogStream', 'logs:PutLogEvents'], group)).toBe(true);
        }
      }
    }
  });

  it('Athena writes query results with the key as the caller (the state machine role)', () => {
    const [[, workGroup]] = resourcesOf(templates.ingestion, 'AWS::Athena::WorkGroup') as [[string, Json]];
    expect(JSON.stringify(props(workGroup).WorkGroupConfiguration)).toContain('SSE_KMS');
    expect(
      allowsAll(roleStatements(templates.pipeline, stateMachineRole()), ['kms:GenerateDataKey', 'kms:Decrypt'], key.id),
    ).toBe(true);
  });

  it('publishers to the encrypted topic and users of the encrypted table may use the key', () => {
    const [[topicId]] = resourcesOf(templates.pipeline, 'AWS::SNS::Topic') as [[string, Json]];
    const [[tableId, table]] = resourcesOf(templates.pipeline, 'AWS::DynamoDB::Table') as [[string, Json]];
    expect(JSON.stringify(props(table).SSESpecification)).toContain(key.id);
    for (const [roleId] of resourcesOf(templates.pipeline, 'AWS::IAM::Role')) {
      const statements = roleStatements(templates.pipeline, roleId);
      const publishes = statements.some(
        (s) => s.Effect === 'Allow' && coversAction(s, 'sns:Publish') && JSON.stringify(s.Resource).includes(topicId),
      );
      const usesTable = statements.some(
        (s) =>
          s.Effect === 'Allow' && JSON.stringify(s.Resource).includes(tableId) && coversAction(s, 'dynamodb:GetItem'),
      );
      if (publishes || usesTable)
        expect({ roleId, ok: allowsAll(statements, ['kms:GenerateDataKey', 'kms:Decrypt'], key.id) }).toEqual({
          roleId,
          ok: true,
        });
    }
  });

  it('Lambda environments are encrypted with the data key (Lambda decrypts through the grant it creates at deploy)', () => {
    // The grant is created for the execution role when the function is created or updated; the deploying role
    // needs the key, the execution role needs no IAM statement: https://repost.aws/knowledge-center/lambda-kmsaccessdeniedexception-errors
    for (const template of [templates.pipeline, templates.serving]) {
      const functions = resourcesOf(template, 'AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThan(0);
      for (const [, fn] of functions) expect(JSON.stringify(props(fn).KmsKeyArn)).toContain(key.id);
    }
  });

  it('S3 server access logs go to an SSE-S3 bucket the logging service may write (SSE-KMS targets are refused)', () => {
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
    const buckets = resourcesOf(templates.ingestion, 'AWS::S3::Bucket');
    const targets = new Set(
      buckets
        .map(([, b]) => referencedId((props(b).LoggingConfiguration as Json | undefined)?.DestinationBucketName))
        .filter((id): id is string => id !== undefined),
    );
    expect(targets.size).toBe(1);
    for (const [id, bucket] of buckets.filter(([bucketId]) => targets.has(bucketId))) {
      expect(JSON.stringify(props(bucket).BucketEncryption)).toContain('AES256');
      const policy = resourcesOf(templates.ingestion, 'AWS::S3::BucketPolicy').find(
        ([, p]) => referencedId(props(p).Bucket) === id,
      );
      const statements = (props(policy?.[1] ?? {}).PolicyDocument as { Statement: Statement[] }).Statement;
      expect(
        statements.some((s) => servicePrincipal(s) === 'logging.s3.amazonaws.com' && coversAction(s, 's3:PutObject')),
      ).toBe(true);
    }
  });
});

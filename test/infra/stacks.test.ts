import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { InfraConfigError, loadInfraConfig } from '../../infra/config';
import { buildStacks } from '../../infra/stacks';
import { renderStateMachineAsl } from '../../pipeline/render-asl';

// Synthesized once for the file: bundling five Lambdas with esbuild is the slow part.
const app = new App({
  context: { pipeline: { schedule: { expression: 'cron(0 3 * * ? *)' } }, notificationEmail: 'ops@example.com' },
});
const config = loadInfraConfig(app);
const stacks = buildStacks(app, config);
const templates = {
  ingestion: Template.fromStack(stacks.ingestion),
  serving: Template.fromStack(stacks.serving),
  pipeline: Template.fromStack(stacks.pipeline),
  observability: Template.fromStack(stacks.observability),
};

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

describe('AWS stacks', () => {
  it('schedules the state machine with the configured expression and a flexible window', () => {
    templates.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
      Target: Match.objectLike({ Arn: Match.anyValue(), RoleArn: Match.anyValue() }),
    });
  });

  it('encrypts buckets, topic, table, logs and the state machine log group with KMS', () => {
    for (const resource of Object.values(templates.ingestion.findResources('AWS::S3::Bucket'))) {
      const rules = resource.Properties.BucketEncryption.ServerSideEncryptionConfiguration;
      expect(rules[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(/aws:kms|AES256/);
    }
    templates.ingestion.resourcePropertiesCountIs(
      'AWS::S3::Bucket',
      {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
            }),
          ],
        },
      },
      2,
    );
    templates.pipeline.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    templates.pipeline.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    for (const template of Object.values(templates)) {
      for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
        expect(group.Properties.KmsKeyId).toBeDefined();
      }
    }
    templates.pipeline.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
      TracingConfiguration: { Enabled: true },
    });
  });

  it('wires the serving stack alarms into the blue/green rollback of the synthesized definition', () => {
    const alarmNames = Object.values(templates.serving.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmName as string,
    );
    const asl = renderStateMachineAsl(templates.pipeline.toJSON());
    const deploy = asl.States.Deploy as {
      Branches: { States: Record<string, { Parameters: Record<string, never> }> }[];
    };
    const update = deploy.Branches[0]?.States.UpdateEndpoint?.Parameters as unknown as {
      DeploymentConfig: { AutoRollbackConfiguration: { Alarms: { AlarmName: string }[] } };
    };
    const rollback = update.DeploymentConfig.AutoRollbackConfiguration.Alarms.map((a) => a.AlarmName);
    expect(rollback.length).toBe(3);
    for (const name of rollback) expect(alarmNames).toContain(name);
  });

  it('notifies people when any endpoint rollback alarm fires (composite alarm on the notification topic)', () => {
    // The rule names each alarm by ARN: imported from the serving stack (the export name holds its logical ID).
    const rollback = Object.entries(templates.serving.findResources('AWS::CloudWatch::Alarm'));
    expect(rollback).toHaveLength(3);
    const composites = Object.values(templates.observability.findResources('AWS::CloudWatch::CompositeAlarm'));
    const covering = composites.filter((c) => {
      const rule = JSON.stringify(c.Properties.AlarmRule);
      return rollback.every(([id, alarm]) => rule.includes(id) || rule.includes(alarm.Properties.AlarmName as string));
    });
    expect(covering).toHaveLength(1);
    expect(JSON.stringify(covering[0]?.Properties.AlarmActions)).toContain('Notifications');
  });

  it('routes model package decisions from the SageMaker console to the approval callback', () => {
    templates.pipeline.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
      }),
    });
    templates.pipeline.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    templates.pipeline.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', {
      ModelPackageGroupName: 'occupancy',
    });
  });

  it('bundles Lambdas for Node.js 22 with tracing', () => {
    const functions = Object.values(templates.pipeline.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThanOrEqual(5);
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it('ingests shadow documents through Firehose into day partitions with Glue partition projection', () => {
    templates.ingestion.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: Match.objectLike({ Sql: Match.stringLikeRegexp('shadow/update/documents') }),
    });
    templates.ingestion.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: Match.objectLike({ KeyType: 'CUSTOMER_MANAGED_CMK' }),
    });
    templates.ingestion.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'telemetry',
        Parameters: Match.objectLike({ 'projection.enabled': 'true' }),
      }),
    });
    templates.ingestion.resourceCountIs('AWS::IoTAnalytics::Channel', 0);
  });

  it('has no IAM statement allowing every action on every resource', () => {
    for (const template of Object.values(templates)) {
      const policies = {
        ...template.findResources('AWS::IAM::Policy'),
        ...template.findResources('AWS::IAM::Role'),
      };
      for (const policy of Object.values(policies)) {
        const documents = [
          policy.Properties.PolicyDocument,
          ...((policy.Properties.Policies ?? []) as { PolicyDocument: unknown }[]).map((p) => p.PolicyDocument),
        ].filter(Boolean) as { Statement: Statement[] }[];
        for (const statement of documents.flatMap((d) => d.Statement)) {
          const actions = [statement.Action].flat();
          const resources = [statement.Resource].flat();
          const starAction = actions.some((a) => a === '*' || a === '*:*');
          expect(starAction && resources.includes('*') && statement.Effect === 'Allow').toBe(false);
        }
      }
    }
  });
});

describe('infra config from context', () => {
  it('refuses the removed legacyIotAnalytics key (end of support 2025-12-15), pointing to the migration guide', () => {
    for (const value of [true, false, 'true']) {
      expect(() => loadInfraConfig(new App({ context: { legacyIotAnalytics: value } }))).toThrow(
        /legacyIotAnalytics.*docs\/migrate-from-iot-analytics\.md/s,
      );
    }
  });

  it.each([
    [{ notificationEmail: 'not-an-email' }, 'notificationEmail'],
    [{ legacyIotAnalytics: true }, 'legacyIotAnalytics'],
    [{ pipeline: '{oops' }, 'pipeline'],
  ])('rejects %j naming %s', (context, field) => {
    expect(() => loadInfraConfig(new App({ context }))).toThrow(InfraConfigError);
    try {
      loadInfraConfig(new App({ context }));
    } catch (error) {
      expect((error as InfraConfigError).field).toBe(field);
    }
  });

  it('names the offending pipeline field', () => {
    expect(() => loadInfraConfig(new App({ context: { pipeline: { gate: { margin: 2 } } } }))).toThrow(/gate\.margin/);
  });
});

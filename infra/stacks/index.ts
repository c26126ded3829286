import type { App } from 'aws-cdk-lib';
import type { InfraConfig } from '../config';
import { IngestionStack } from './ingestion-stack';
import { ObservabilityStack } from './observability-stack';
import { PipelineStack } from './pipeline-stack';
import { ServingStack } from './serving-stack';

export interface OccupancyStacks {
  readonly ingestion: IngestionStack;
  readonly serving: ServingStack;
  readonly pipeline: PipelineStack;
  readonly observability: ObservabilityStack;
}

/** Ingestion ← Serving ← Pipeline ← Observability: each stack only refers to earlier ones. */
export function buildStacks(app: App, config: InfraConfig): OccupancyStacks {
  const env = config.account || config.region ? { account: config.account, region: config.region } : undefined;
  const common = { env, config: config.pipeline };
  const ingestion = new IngestionStack(app, 'OccupancyIngestion', {
    ...common,
    description: 'occupancy: IoT → Firehose → S3 lake, Glue tables, Athena workgroup',
  });
  const serving = new ServingStack(app, 'OccupancyServing', {
    ...common,
    description: 'occupancy: SageMaker role, endpoint rollback alarms, realtime inference',
    key: ingestion.key,
    artifactsBucket: ingestion.artifactsBucket,
    iotDataEndpoint: config.iotDataEndpoint,
    predictionsStream: ingestion.predictions.stream,
    sensorFaultsStream: ingestion.sensorFaults.stream,
  });
  const names = serving.alarmNames;
  const pipeline = new PipelineStack(app, 'OccupancyPipeline', {
    ...common,
    description: 'occupancy: retraining state machine, schedule, approvals, model registry',
    key: ingestion.key,
    lakeBucket: ingestion.lakeBucket,
    artifactsBucket: ingestion.artifactsBucket,
    sageMakerRole: serving.sageMakerRole,
    rollbackAlarmNames: [names.variant5xx, names.modelLatency, names.fallbackRate],
    notificationEmail: config.notificationEmail,
  });
  pipeline.addStackDependency(serving, 'rollback alarms must exist before a deployment references them');
  const observability = new ObservabilityStack(app, 'OccupancyObservability', {
    ...common,
    description: 'occupancy: dashboard and alarms',
    stateMachine: pipeline.retraining.stateMachine,
    topic: pipeline.topic,
    endpointAlarms: serving.alarms,
    evidenceAlarms: pipeline.evidence.alarms,
    sensorHealth: pipeline.sensorHealth,
  });
  return { ingestion, serving, pipeline, observability };
}

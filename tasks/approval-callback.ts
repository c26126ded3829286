import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { PipelineMetrics } from '../pipeline/state-names';
import {
  type ApprovalDeps,
  type HttpResponse,
  handleApprovalLink,
  handleModelPackageEvent,
  ModelPackageEventSchema,
} from './approval';
import { TaskInputError } from './errors';
import { DynamoApprovalStore } from './ports/approval-store';
import { SfnTaskCallback } from './ports/task-callback';
import { powertools } from './powertools';

/**
 * Answers AwaitApproval from two sources: the e-mailed link (API Gateway proxy event) and a decision in
 * the SageMaker console (EventBridge "SageMaker Model Package State Change").
 */

const ApiEventSchema = z.object({
  httpMethod: z.string(),
  queryStringParameters: z.record(z.string(), z.string()).nullable().optional(),
  body: z.string().nullable().optional(),
  isBase64Encoded: z.boolean().optional(),
});

const { logger, metrics, tracer } = powertools('approval-callback');
type CallbackDeps = Pick<ApprovalDeps, 'store' | 'callback' | 'now' | 'onDecided'>;

function defaultDeps(): CallbackDeps {
  return {
    store: new DynamoApprovalStore(tracer.captureAWSv3Client(new DynamoDBClient({})), process.env.APPROVAL_TABLE ?? ''),
    callback: new SfnTaskCallback(tracer.captureAWSv3Client(new SFNClient({}))),
    onDecided: ({ status, via, waitedSeconds }) => {
      const single = metrics.singleMetric();
      single.addDimension('Decision', status);
      single.addDimension('Via', via);
      single.addMetric(PipelineMetrics.ApprovalWaitSeconds, 'Seconds', waitedSeconds);
    },
  };
}

function formParams(body: string | null | undefined, base64: boolean | undefined): Record<string, string> {
  if (!body) return {};
  const text = base64 ? Buffer.from(body, 'base64').toString('utf8') : body;
  return Object.fromEntries(new URLSearchParams(text));
}

export function createApprovalCallbackHandler(deps: CallbackDeps = defaultDeps()) {
  return async (event: unknown): Promise<HttpResponse | { outcome: string }> => {
    const modelPackageEvent = ModelPackageEventSchema.safeParse(event);
    if (modelPackageEvent.success) {
      const outcome = await handleModelPackageEvent(modelPackageEvent.data, deps);
      logger.info('model package state change', { outcome, arn: modelPackageEvent.data.detail.ModelPackageArn });
      return { outcome };
    }
    const api = ApiEventSchema.safeParse(event);
    if (!api.success) {
      throw new TaskInputError('Event is neither an API Gateway request nor a model package state change', '(event)');
    }
    const params = {
      ...(api.data.queryStringParameters ?? {}),
      ...(api.data.httpMethod.toUpperCase() === 'POST' ? formParams(api.data.body, api.data.isBase64Encoded) : {}),
    };
    const response = await handleApprovalLink({ method: api.data.httpMethod, params }, deps);
    logger.info('approval link', { outcome: response.outcome ?? 'page', status: response.statusCode });
    const { statusCode, headers, body } = response;
    return { statusCode, headers, body };
  };
}

export const handler = createApprovalCallbackHandler();

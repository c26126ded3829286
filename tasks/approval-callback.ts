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
import { type LambdaHandler, onFirstInvoke, type Powertools, parseEnv, wrapHandler } from './lambda-handler';
import { DynamoApprovalStore } from './ports/approval-store';
import { SfnTaskCallback } from './ports/task-callback';
import { powertools } from './powertools';

/**
 * Answers AwaitApproval from two sources: the e-mailed link (API Gateway proxy event) and a decision in
 * the SageMaker console (EventBridge "SageMaker Model Package State Change").
 */

export const ApiEventSchema = z.object({
  httpMethod: z.string(),
  queryStringParameters: z.record(z.string(), z.string()).nullable().optional(),
  body: z.string().nullable().optional(),
  isBase64Encoded: z.boolean().optional(),
});

/** Either source; anything else is refused as a TaskInputError by the Parser middleware. */
export const ApprovalCallbackEventSchema = z.union([ModelPackageEventSchema, ApiEventSchema]);
type ApprovalCallbackEvent = z.output<typeof ApprovalCallbackEventSchema>;

export type ApprovalCallbackDeps = Powertools & Pick<ApprovalDeps, 'store' | 'callback' | 'now' | 'onDecided'>;

function formParams(body: string | null | undefined, base64: boolean | undefined): Record<string, string> {
  if (!body) return {};
  const text = base64 ? Buffer.from(body, 'base64').toString('utf8') : body;
  return Object.fromEntries(new URLSearchParams(text));
}

export function createHandler(deps: ApprovalCallbackDeps): LambdaHandler<HttpResponse | { outcome: string }> {
  const { logger, metrics } = deps;
  const decisionDeps: ApprovalCallbackDeps = {
    ...deps,
    onDecided: (decision) => {
      const single = metrics.singleMetric();
      single.addDimension('Decision', decision.status);
      single.addDimension('Via', decision.via);
      single.addMetric(PipelineMetrics.ApprovalWaitSeconds, 'Seconds', decision.waitedSeconds);
      deps.onDecided?.(decision);
    },
  };
  return wrapHandler(
    async (event: ApprovalCallbackEvent): Promise<HttpResponse | { outcome: string }> => {
      if ('detail-type' in event) {
        const outcome = await handleModelPackageEvent(event, decisionDeps);
        logger.info('model package state change', { outcome, arn: event.detail.ModelPackageArn });
        return { outcome };
      }
      const params = {
        ...(event.queryStringParameters ?? {}),
        ...(event.httpMethod.toUpperCase() === 'POST' ? formParams(event.body, event.isBase64Encoded) : {}),
      };
      const response = await handleApprovalLink({ method: event.httpMethod, params }, decisionDeps);
      logger.info('approval link', { outcome: response.outcome ?? 'page', status: response.statusCode });
      const { statusCode, headers, body } = response;
      return { statusCode, headers, body };
    },
    {
      ...deps,
      schema: ApprovalCallbackEventSchema,
      inputName: 'event (neither an API Gateway request nor a model package state change)',
    },
  );
}

/** Set by the Pipeline stack (infra/stacks/pipeline-stack.ts). */
export const ApprovalCallbackEnvSchema = z.object({ APPROVAL_TABLE: z.string().min(1) });

export function defaultDeps(): ApprovalCallbackDeps {
  const env = parseEnv(ApprovalCallbackEnvSchema);
  const tools = powertools('approval-callback');
  return {
    ...tools,
    store: new DynamoApprovalStore(tools.tracer.captureAWSv3Client(new DynamoDBClient({})), env.APPROVAL_TABLE),
    callback: new SfnTaskCallback(tools.tracer.captureAWSv3Client(new SFNClient({}))),
  };
}

export const handler = onFirstInvoke(() => createHandler(defaultDeps()));

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { type ApprovalDeps, type ApprovalRequest, ApprovalRequestSchema, requestApproval } from './approval';
import { type LambdaHandler, onFirstInvoke, type Powertools, parseEnv, wrapHandler } from './lambda-handler';
import { DynamoApprovalStore } from './ports/approval-store';
import { SnsNotifier } from './ports/notifier';
import { powertools } from './powertools';

/** AwaitApproval (`.waitForTaskToken`): store the token, e-mail the links. Returns; the token is answered later. */

export type ApprovalRequestDeps = Powertools & Omit<ApprovalDeps, 'callback'>;

export function createHandler(deps: ApprovalRequestDeps): LambdaHandler<{ runId: string }> {
  const { logger, metrics } = deps;
  return wrapHandler(
    async (input: ApprovalRequest) => {
      logger.appendKeys({ runId: input.runId });
      // The callback is never used by the request; a no-op keeps the shared deps type.
      const result = await requestApproval(input, {
        ...deps,
        callback: { succeed: async () => undefined, fail: async () => undefined },
      });
      logger.info('approval requested', { modelPackageArn: input.modelPackageArn });
      metrics.addMetric('ApprovalsRequested', 'Count', 1);
      return { runId: result.runId };
    },
    { ...deps, schema: ApprovalRequestSchema, inputName: 'AwaitApproval input' },
  );
}

/** Set by the Pipeline stack (infra/stacks/pipeline-stack.ts); AWS_REGION by Lambda itself. */
export const ApprovalRequestEnvSchema = z.object({
  APPROVAL_TABLE: z.string().min(1),
  TOPIC_ARN: z.string().regex(/^arn:[^:]+:sns:/, 'an SNS topic ARN'),
  APPROVAL_API_URL: z.url(),
  AWS_REGION: z.string().min(1),
});

export function defaultDeps(): ApprovalRequestDeps {
  const env = parseEnv(ApprovalRequestEnvSchema);
  const tools = powertools('approval-request');
  return {
    ...tools,
    store: new DynamoApprovalStore(tools.tracer.captureAWSv3Client(new DynamoDBClient({})), env.APPROVAL_TABLE),
    notifier: new SnsNotifier(tools.tracer.captureAWSv3Client(new SNSClient({})), env.TOPIC_ARN),
    apiBaseUrl: env.APPROVAL_API_URL,
    region: env.AWS_REGION,
  };
}

export const handler = onFirstInvoke(() => createHandler(defaultDeps()));

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { type ApprovalDeps, parseApprovalRequest, requestApproval } from './approval';
import { DynamoApprovalStore } from './ports/approval-store';
import { SnsNotifier } from './ports/notifier';
import { powertools } from './powertools';

/** AwaitApproval (`.waitForTaskToken`): store the token, e-mail the links. Returns; the token is answered later. */

const { logger, metrics, tracer } = powertools('approval-request');

function defaultDeps(): Omit<ApprovalDeps, 'callback'> {
  const env = (name: string): string => process.env[name] ?? '';
  return {
    store: new DynamoApprovalStore(tracer.captureAWSv3Client(new DynamoDBClient({})), env('APPROVAL_TABLE')),
    notifier: new SnsNotifier(tracer.captureAWSv3Client(new SNSClient({})), env('TOPIC_ARN')),
    apiBaseUrl: env('APPROVAL_API_URL'),
    region: env('AWS_REGION'),
  };
}

export function createApprovalRequestHandler(deps: Omit<ApprovalDeps, 'callback'> = defaultDeps()) {
  return async (event: unknown): Promise<{ runId: string }> => {
    const input = parseApprovalRequest(event);
    logger.appendKeys({ runId: input.runId });
    // The callback is never used by the request; a no-op keeps the shared deps type.
    const result = await requestApproval(input, {
      ...deps,
      callback: { succeed: async () => undefined, fail: async () => undefined },
    });
    logger.info('approval requested', { modelPackageArn: input.modelPackageArn });
    metrics.addMetric('ApprovalsRequested', 'Count', 1);
    metrics.publishStoredMetrics();
    return { runId: result.runId };
  };
}

export const handler = createApprovalRequestHandler();

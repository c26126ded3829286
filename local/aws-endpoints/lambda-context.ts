import { randomUUID } from 'node:crypto';
import type { LambdaContext } from '../../tasks/lambda-handler';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../runtime/identity';

/**
 * A Lambda-shaped context for one invocation (what the Node.js runtime passes): a fresh request id, the function's
 * ARN and log names, and the remaining time counting down from `timeoutMs`.
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html
 */
export function lambdaContext(functionName: string, options: { timeoutMs?: number; memoryMB?: number } = {}) {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const context: LambdaContext = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: String(options.memoryMB ?? 512),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  return context;
}

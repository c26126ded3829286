import { LOCAL_ACCOUNT, LOCAL_REGION } from './identity';
import type { LocalFunction } from './lambdas';

/**
 * The Pipeline stack's Lambda functions as the local runtime runs them: the same entries, sizes and environment
 * variables as infra/stacks/pipeline-stack.ts gives them, the table and topic being the local ones.
 */

/** The approval table's name locally (its records live in `<stateDir>/approvals/`, see local/aws-endpoints). */
export const LOCAL_APPROVAL_TABLE = 'ApprovalTokens';
export const LOCAL_APPROVAL_TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:occupancy-approvals`;

export interface PipelineFunctions {
  readonly scoringInput: LocalFunction;
  readonly candidateContainers: LocalFunction;
  readonly evaluate: LocalFunction;
  readonly approvalRequest: LocalFunction;
  readonly approvalCallback: LocalFunction;
}

export function pipelineFunctions(approvalApiUrl: () => string): PipelineFunctions {
  const fn = (functionName: string, entry: string, sizing = { timeoutSeconds: 30, memoryMB: 512 }) => ({
    functionName,
    entry,
    environment: () => ({}),
    ...sizing,
  });
  return {
    evaluate: fn('EvaluateFunction', 'tasks/evaluate.ts', { timeoutSeconds: 300, memoryMB: 3008 }),
    scoringInput: fn('ScoringInputFunction', 'tasks/prepare-scoring-input.ts', { timeoutSeconds: 300, memoryMB: 2048 }),
    candidateContainers: fn('CandidateContainersFunction', 'tasks/candidate-containers.ts'),
    approvalRequest: {
      ...fn('ApprovalRequestFunction', 'tasks/approval-request.ts'),
      // Read when the instance starts: the approval server (console) may start after the stack.
      environment: () => ({
        APPROVAL_TABLE: LOCAL_APPROVAL_TABLE,
        TOPIC_ARN: LOCAL_APPROVAL_TOPIC_ARN,
        APPROVAL_API_URL: approvalApiUrl(),
      }),
    },
    approvalCallback: {
      ...fn('ApprovalCallbackFunction', 'tasks/approval-callback.ts'),
      environment: () => ({ APPROVAL_TABLE: LOCAL_APPROVAL_TABLE }),
    },
  };
}

import { MODEL_PACKAGE_INDEX } from '../../tasks/ports/approval-store';
import type { Notifier } from '../../tasks/ports/notifier';
import type { FileApprovalStore } from '../adapters/approvals';
import type { LocalDynamoDB } from '../adapters/dynamodb';
import type { FolderObjectStore } from '../adapters/s3';
import { startAwsEndpoints } from '../aws-endpoints';
import { ApprovalTable } from '../aws-endpoints/dynamodb-approvals';
import type { ListeningServer } from '../http';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './identity';
import type { LocalFunction } from './lambdas';
import type { TaskTokenBroker } from './task-tokens';

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
  /** CheckRetrainingCooldown (pipeline/phases/cooldown.ts): the run-lock table through the local DynamoDB endpoint. */
  readonly retrainingCooldown: LocalFunction;
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
    retrainingCooldown: fn('RetrainingCooldownFunction', 'tasks/retraining-cooldown.ts'),
    approvalCallback: {
      ...fn('ApprovalCallbackFunction', 'tasks/approval-callback.ts'),
      environment: () => ({ APPROVAL_TABLE: LOCAL_APPROVAL_TABLE }),
    },
  };
}

/** The local AWS endpoints the functions' SDK clients use, on the stack's parts (see local/aws-endpoints). */
export function startPipelineEndpoints(parts: {
  readonly store: FolderObjectStore;
  readonly dynamodb: LocalDynamoDB;
  readonly approvals: FileApprovalStore;
  readonly notifier: Notifier;
  readonly broker: TaskTokenBroker;
}): Promise<ListeningServer> {
  return startAwsEndpoints({
    s3: parts.store,
    dynamodb: {
      tables: parts.dynamodb,
      approvals: new ApprovalTable(LOCAL_APPROVAL_TABLE, parts.approvals),
      approvalIndex: MODEL_PACKAGE_INDEX,
    },
    sns: { topicArn: LOCAL_APPROVAL_TOPIC_ARN, notifier: parts.notifier },
    sfn: parts.broker,
  });
}

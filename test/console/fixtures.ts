import { sha256Hex } from '../../tasks/approval';
import type { ApprovalRecord } from '../../tasks/ports/approval-store';

export function approvalRecordFixture(approveSecret: string, rejectSecret: string): ApprovalRecord {
  return {
    runId: 'run-1',
    taskToken: 'token',
    executionArn: 'arn:aws:states:us-east-1:1:execution:m:run-1',
    modelPackageArn: 'arn:aws:sagemaker:us-east-1:1:model-package/occ/1',
    approveSecretHash: sha256Hex(approveSecret),
    rejectSecretHash: sha256Hex(rejectSecret),
    createdAt: 0,
    expiresAt: 4_000_000_000,
    status: 'pending',
  };
}

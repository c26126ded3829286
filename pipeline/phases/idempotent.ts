import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { PipelineErrors } from '../state-names';

/**
 * Creates retried with the same name after a lost response meet "already exists". SageMaker answers that
 * with a ValidationException, which is not in its API model, so the name Step Functions gives it is not
 * certain (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html): the create
 * catches every error, describes the resource by name and compares its definition. The same definition is
 * success; another one, or no resource at all, fails the run (with the create's own error in the latter case).
 */

/** Where a create's error is kept while the resource is described. */
export const CREATE_ERROR_PATH = '$.createError';

/** A Fail that reports the error kept at `$.createError` (the create's, or a conflict's). */
export function createFailed(scope: Construct, id: string): sfn.Fail {
  return new sfn.Fail(scope, id, {
    errorPath: `${CREATE_ERROR_PATH}.Error`,
    causePath: `${CREATE_ERROR_PATH}.Cause`,
  });
}

/** A Pass that records a conflict (same name, another definition) at `$.createError` and fails. */
export function conflict(scope: Construct, id: string, causeIntrinsic: string, failed: sfn.IChainable): sfn.Pass {
  const pass = new sfn.Pass(scope, id, {
    parameters: { Error: PipelineErrors.ResourceConflict, 'Cause.$': causeIntrinsic },
    resultPath: CREATE_ERROR_PATH,
  });
  pass.next(failed);
  return pass;
}

export interface AdoptProps {
  readonly ids: { readonly check: string; readonly conflict: string; readonly failed: string };
  /** The create (its Retry is the caller's; no Catch yet). */
  readonly create: sfn.TaskStateBase | sfn.CustomState;
  /** Describes the resource by the same name; its result says what `same` compares. */
  readonly describe: sfn.TaskStateBase;
  /** States between describe and the check (e.g. a Pass that turns lists into comparable strings). */
  readonly prepare?: sfn.Pass;
  readonly same: sfn.Condition;
  readonly conflictCause: string;
  readonly next: sfn.IChainable;
}

/** Wires create → next, and create's failure → describe → [prepare →] check (same → next). */
export function adoptExisting(scope: Construct, props: AdoptProps): void {
  const failed = createFailed(scope, props.ids.failed);
  props.create.addCatch(props.describe, { errors: [sfn.Errors.ALL], resultPath: CREATE_ERROR_PATH });
  // The resource cannot be described: the create failed for its own reason, which is what the run reports.
  props.describe.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.describeError' });
  const check = new sfn.Choice(scope, props.ids.check)
    .when(props.same, props.next)
    .otherwise(conflict(scope, props.ids.conflict, props.conflictCause, failed));
  (props.prepare ? props.describe.next(props.prepare) : props.describe).next(check);
}

import type { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

/**
 * The one poll loop of the definition: [Init →] Wait → Poll → Count → Check, where Check leaves on the
 * first matching exit, fails at the iteration limit and otherwise waits again. Every asynchronous job the
 * pipeline waits for (AutoML, endpoint deployment, an adopted transform job) goes through it.
 */

export interface PollExit {
  readonly when: sfn.Condition;
  readonly next: sfn.IChainable;
}

export interface PollLoopProps {
  /** State ids: the counter's Pass, the Wait, the Count Pass and the Check Choice. */
  readonly ids: { readonly init: string; readonly wait: string; readonly count: string; readonly check: string };
  /** The Task that reads the job's status (its Retry/Catch are the caller's). */
  readonly poll: sfn.INextable & sfn.IChainable;
  /** Where the counter lives, e.g. `$.autoMLPoll` (holds `{ count }`). */
  readonly counterPath: string;
  readonly interval: Duration;
  readonly maxIterations: number;
  /** Checked in order before the limit. */
  readonly exits: readonly PollExit[];
  /** Where the loop goes once `maxIterations` polls have not reached an exit. */
  readonly onLimit: sfn.IChainable;
  /** Poll before the first wait (a job that may already be done). @default false */
  readonly pollFirst?: boolean;
}

/** Builds the loop and returns its entry (the counter's Pass). */
export function pollLoop(scope: Construct, props: PollLoopProps): sfn.Pass {
  const init = new sfn.Pass(scope, props.ids.init, {
    result: sfn.Result.fromObject({ count: 0 }),
    resultPath: props.counterPath,
  });
  const wait = new sfn.Wait(scope, props.ids.wait, { time: sfn.WaitTime.duration(props.interval) });
  const count = new sfn.Pass(scope, props.ids.count, {
    parameters: { 'count.$': `States.MathAdd(${props.counterPath}.count, 1)` },
    resultPath: props.counterPath,
  });
  const check = new sfn.Choice(scope, props.ids.check);
  for (const exit of props.exits) check.when(exit.when, exit.next);
  check
    .when(sfn.Condition.numberGreaterThanEquals(`${props.counterPath}.count`, props.maxIterations), props.onLimit)
    .otherwise(wait);
  wait.next(props.poll);
  props.poll.next(count).next(check);
  init.next(props.pollFirst ? props.poll : wait);
  return init;
}

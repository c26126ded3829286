import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { type LambdaHandler, onFirstInvoke, type Powertools, wrapHandler } from './lambda-handler';
import { powertools } from './powertools';

/**
 * CheckRetrainingCooldown (issue 21 item 3): a retraining started by evidence (a monitor alarm) runs only when the
 * last evidence-started run began at least `cooldownMinutes` before this one. The last one is an item of the run-lock
 * table, `{ lockId: "<state machine>#evidence", executionArn, startedAt, reason }`, replaced by the run that is let
 * through. Step Functions' JSONPath has no date arithmetic, hence a function. It runs only in the execution that
 * holds the single-run lock (pipeline/phases/cooldown.ts), so two evidence runs never race for the item; the put is
 * conditioned on the item it read all the same (optimistic), and a lost race refuses.
 */

export const EVIDENCE_ITEM_SUFFIX = '#evidence';

export const CooldownInputSchema = z
  .object({
    /** The run-lock table (the state machine passes its own). */
    table: z.string().min(3).max(255),
    /** The single-run lock's name (the state machine's); the item is `<lockName>#evidence`. */
    lockName: z.string().min(1),
    executionArn: z.string().min(1),
    /** `$$.Execution.StartTime`: the cooldown is measured between start times. */
    startedAt: z.iso.datetime({ offset: true }),
    reason: z.string().min(1).max(256),
    cooldownMinutes: z.number().int().min(0),
  })
  .strict();
export type CooldownInput = z.infer<typeof CooldownInputSchema>;

export interface CooldownResult {
  readonly allowed: boolean;
  /** The evidence-started run the cooldown counts from (none: the first). */
  readonly lastExecutionArn: string;
  readonly lastStartedAt: string;
  readonly lastReason: string;
  /** When the next evidence-started run may begin (ISO). */
  readonly cooldownUntil: string;
}

export interface CooldownDeps extends Powertools {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
}

const s = (value: string) => ({ S: value });

export function createHandler(deps: CooldownDeps): LambdaHandler<CooldownResult> {
  return wrapHandler(
    async (input: CooldownInput) => {
      const key = { lockId: s(`${input.lockName}${EVIDENCE_ITEM_SUFFIX}`) };
      const got = await deps.dynamodb.send(
        new GetItemCommand({ TableName: input.table, Key: key, ConsistentRead: true }),
      );
      const last = got.Item
        ? {
            executionArn: got.Item.executionArn?.S ?? '',
            startedAt: got.Item.startedAt?.S ?? '',
            reason: got.Item.reason?.S ?? '',
          }
        : undefined;
      const startedMs = Date.parse(input.startedAt);
      const cooldownMs = input.cooldownMinutes * 60_000;
      const untilOf = (iso: string) => new Date(Date.parse(iso) + cooldownMs).toISOString();
      // A retried invocation of the run that already took the item is let through again.
      if (last && last.executionArn === input.executionArn) {
        return {
          allowed: true,
          lastExecutionArn: '',
          lastStartedAt: '',
          lastReason: '',
          cooldownUntil: untilOf(input.startedAt),
        };
      }
      const lastMs = last ? Date.parse(last.startedAt) : Number.NaN;
      if (last && Number.isFinite(lastMs) && startedMs < lastMs + cooldownMs) {
        deps.logger.info('retraining refused: cooldown', { last, cooldownMinutes: input.cooldownMinutes });
        return {
          allowed: false,
          lastExecutionArn: last.executionArn,
          lastStartedAt: last.startedAt,
          lastReason: last.reason,
          cooldownUntil: untilOf(last.startedAt),
        };
      }
      try {
        await deps.dynamodb.send(
          new PutItemCommand({
            TableName: input.table,
            Item: {
              ...key,
              executionArn: s(input.executionArn),
              startedAt: s(input.startedAt),
              reason: s(input.reason),
            },
            ...(last
              ? {
                  ConditionExpression: '#holder = :holder',
                  ExpressionAttributeNames: { '#holder': 'executionArn' },
                  ExpressionAttributeValues: { ':holder': s(last.executionArn) },
                }
              : {
                  ConditionExpression: 'attribute_not_exists(#lockId)',
                  ExpressionAttributeNames: { '#lockId': 'lockId' },
                }),
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another evidence run took the item between the read and the put: it starts the cooldown, this one yields.
        return {
          allowed: false,
          lastExecutionArn: '(another run)',
          lastStartedAt: input.startedAt,
          lastReason: '',
          cooldownUntil: untilOf(input.startedAt),
        };
      }
      return {
        allowed: true,
        lastExecutionArn: last?.executionArn ?? '',
        lastStartedAt: last?.startedAt ?? '',
        lastReason: last?.reason ?? '',
        cooldownUntil: untilOf(input.startedAt),
      };
    },
    { ...deps, schema: CooldownInputSchema, inputName: 'CheckRetrainingCooldown input' },
  );
}

export function defaultDeps(): CooldownDeps {
  const tools = powertools('retraining-cooldown');
  return { ...tools, dynamodb: tools.tracer.captureAWSv3Client(new DynamoDBClient({})) };
}

export const handler = onFirstInvoke(() => createHandler(defaultDeps()));

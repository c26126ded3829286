import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import * as z from 'zod';
import { TaskInputError } from '../errors';

/** What a Lambda that queries the lake through Athena is deployed with (infra/stacks/lake-query-grants.ts grants it). */
export const AthenaEnvSchema = z.object({
  ATHENA_DATABASE: z.string().min(1),
  ATHENA_WORKGROUP: z.string().min(1),
  /** @default the workgroup's result location */
  ATHENA_OUTPUT_LOCATION: z
    .string()
    .regex(/^s3:\/\/[^/]+\/.+/, 'an s3://bucket/key URI')
    .optional(),
});

/** A SELECT over the lake, rows by column name (every cell as text, NULL as null): Athena on AWS, DuckDB locally. */
export interface LakeQuery {
  select(sql: string): Promise<Record<string, string | null>[]>;
}

export class AthenaQueryFailedError extends Error {
  constructor(
    message: string,
    readonly queryExecutionId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AthenaQueryFailedError';
  }
}

export interface AthenaLakeQueryOptions {
  /** Glue database the unqualified table names resolve in. */
  readonly database: string;
  readonly workGroup: string;
  /** Results location; @default the workgroup's own */
  readonly outputLocation?: string;
  /** Wait between GetQueryExecution polls. @default 1000 */
  readonly pollMs?: number;
  /** Polls before giving up (the Lambda's timeout bounds it too). @default 600 */
  readonly maxPolls?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Athena's asynchronous query API: StartQueryExecution, GetQueryExecution until a final state (QUEUED and RUNNING
 * are not), then GetQueryResults page by page (NextToken), the first row of the first page being the column names
 * for a SELECT (https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html; states:
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionStatus.html).
 */
export class AthenaLakeQuery implements LakeQuery {
  constructor(
    private readonly client: AthenaClient,
    private readonly options: AthenaLakeQueryOptions,
  ) {
    if (!options.database) throw new TaskInputError('database is required', 'database');
  }

  async select(sql: string): Promise<Record<string, string | null>[]> {
    const { database, workGroup, outputLocation, pollMs = 1000, maxPolls = 600, sleep = sleepFor } = this.options;
    const started = await this.client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        QueryExecutionContext: { Database: database },
        WorkGroup: workGroup,
        ...(outputLocation === undefined ? {} : { ResultConfiguration: { OutputLocation: outputLocation } }),
      }),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new AthenaQueryFailedError('StartQueryExecution returned no QueryExecutionId', '');
    for (let poll = 0; ; poll++) {
      const { QueryExecution } = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = QueryExecution?.Status?.StateChangeReason ?? 'no reason given';
        throw new AthenaQueryFailedError(`Athena query ${id} ${state}: ${reason}`, id);
      }
      if (poll + 1 >= maxPolls) {
        throw new AthenaQueryFailedError(`Athena query ${id} still ${state ?? 'unknown'} after ${maxPolls} polls`, id);
      }
      await sleep(pollMs);
    }
    const rows: Record<string, string | null>[] = [];
    let names: string[] | undefined;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, ...(token ? { NextToken: token } : {}) }),
      );
      for (const row of page.ResultSet?.Rows ?? []) {
        const cells = (row.Data ?? []).map((d) => d.VarCharValue ?? null);
        if (!names) {
          names = cells.map((c) => c ?? '');
          continue;
        }
        const header = names;
        rows.push(Object.fromEntries(header.map((n, i) => [n, cells[i] ?? null])));
      }
      token = page.NextToken;
    } while (token);
    return rows;
  }
}

/** The Athena query port of a Lambda deployed with AthenaEnvSchema's variables. */
export function athenaLakeQueryOf(client: AthenaClient, env: z.output<typeof AthenaEnvSchema>): AthenaLakeQuery {
  return new AthenaLakeQuery(client, {
    database: env.ATHENA_DATABASE,
    workGroup: env.ATHENA_WORKGROUP,
    ...(env.ATHENA_OUTPUT_LOCATION === undefined ? {} : { outputLocation: env.ATHENA_OUTPUT_LOCATION }),
  });
}

import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  GetQueryExecutionCommandOutput,
  GetQueryResultsCommandInput,
  GetQueryResultsCommandOutput,
  StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { explainLakeReadError, LAKE_TABLES, type LocalLake } from '../lake';
import { parseUnload, type UnloadStatement, UnloadStatementError } from './athena-unload';
import type { FolderObjectStore } from './s3';

/**
 * Athena StartQueryExecution (`.sync`) → the same SQL on DuckDB over the local lake. The Glue database
 * named in QueryExecutionContext is a DuckDB schema whose tables are views over the lake, so the Athena
 * query text runs unchanged. Results land where Athena puts them: `<OutputLocation>/<id>.csv`, header
 * included. An UNLOAD writes Parquet under its TO location instead, and a data manifest (the files written)
 * at `<OutputLocation>/<id>-manifest.csv` (https://docs.aws.amazon.com/athena/latest/ug/unload.html).
 */

export class AthenaQueryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Athena.InvalidRequestException';
  }
}

const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** An opaque page token of one query's results (its id and the next row), refused for any other query. */
const pageToken = (id: string, offset: number): string => Buffer.from(`${id}:${offset}`).toString('base64url');

function pageOffset(token: string, id: string): number {
  const [tokenId, offset] = Buffer.from(token, 'base64url').toString('utf8').split(':');
  const n = Number(offset);
  if (tokenId !== id || !Number.isSafeInteger(n) || n < 1) {
    throw new AthenaQueryError(`NextToken is not a token of query ${id}'s results`);
  }
  return n;
}

export class LocalAthena {
  constructor(
    private readonly lake: LocalLake,
    private readonly store: FolderObjectStore,
  ) {}

  private queue: Promise<unknown> = Promise.resolve();
  /** Result file of each query this instance ran, by QueryExecutionId. */
  private readonly results = new Map<string, string>();

  /** Queries share one DuckDB connection, so they run one at a time (Athena would queue them too). */
  startQueryExecutionSync(input: StartQueryExecutionCommandInput): Promise<GetQueryExecutionCommandOutput> {
    const run = this.queue.then(() => this.execute(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * GetQueryResults of a query this instance ran: every value as VarCharValue (left out for NULL), the first row the
   * column names, at most MaxResults rows (1..1000, default 1000) counting that header row, no further pages
   * (https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html).
   */
  getQueryResults(input: GetQueryResultsCommandInput): Promise<GetQueryResultsCommandOutput> {
    const run = this.queue.then(() => this.readResults(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readResults(input: GetQueryResultsCommandInput): Promise<GetQueryResultsCommandOutput> {
    const id = input.QueryExecutionId ?? '';
    const path = this.results.get(id);
    if (!path) throw new AthenaQueryError(`QueryExecution ${id} was not found`);
    const max = input.MaxResults ?? 1000;
    if (!(Number.isInteger(max) && max >= 1 && max <= 1000)) {
      throw new AthenaQueryError(`MaxResults must be between 1 and 1000, got ${String(input.MaxResults)}`);
    }
    const connection = await this.lake.connect();
    const reader = await connection.runAndReadAll(
      `SELECT * FROM read_csv('${path.replace(/'/g, "''")}', header = true, all_varchar = true)`,
    );
    const names = reader.columnNames();
    const cell = (value: unknown) => (value === null || value === undefined ? {} : { VarCharValue: String(value) });
    // Pages of at most MaxResults rows, the column names being the first row of the first page only, and a NextToken
    // while rows remain: https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html
    const all = [names, ...reader.getRows()];
    const offset = input.NextToken === undefined ? 0 : pageOffset(input.NextToken, id);
    const end = Math.min(all.length, offset + max);
    const rows = all.slice(offset, end).map((row) => ({ Data: row.map(cell) }));
    return {
      $metadata: {},
      UpdateCount: 0,
      ResultSet: { Rows: rows, ResultSetMetadata: { ColumnInfo: names.map((Name) => ({ Name, Type: 'varchar' })) } },
      ...(end < all.length ? { NextToken: pageToken(id, end) } : {}),
    };
  }

  private async execute(input: StartQueryExecutionCommandInput): Promise<GetQueryExecutionCommandOutput> {
    const query = input.QueryString;
    if (!query) throw new AthenaQueryError('QueryString is required');
    const outputLocation = input.ResultConfiguration?.OutputLocation;
    if (!outputLocation)
      throw new AthenaQueryError('ResultConfiguration.OutputLocation is required (no workgroup default locally)');
    const connection = await this.lake.connect();
    const database = input.QueryExecutionContext?.Database;
    if (database) {
      await connection.run(`CREATE SCHEMA IF NOT EXISTS ${ident(database)}`);
      for (const table of LAKE_TABLES) {
        await connection.run(
          `CREATE OR REPLACE VIEW ${ident(database)}.${ident(table)} AS SELECT * FROM main.${table}`,
        );
      }
    }
    const id = randomUUID();
    const submitted = new Date();
    const output = outputLocation.replace(/\/$/, '');
    let unload: UnloadStatement | undefined;
    try {
      unload = parseUnload(query);
    } catch (error) {
      if (!(error instanceof UnloadStatementError)) throw error;
      throw new AthenaQueryError(`Query ${id} failed: ${error.message}`, { cause: error });
    }
    const resultUri = unload ? `${output}/${id}-manifest.csv` : `${output}/${id}.csv`;
    const resultPath = this.store.pathOf(resultUri);
    mkdirSync(dirname(resultPath), { recursive: true });
    try {
      if (unload) await this.unload(unload, id, resultUri);
      else
        await connection.run(`COPY (${query.replace(/;\s*$/, '')}) TO '${quoted(resultPath)}' (HEADER, DELIMITER ',')`);
    } catch (error) {
      if (error instanceof AthenaQueryError) throw error;
      const explained = explainLakeReadError(error);
      const message = explained instanceof Error ? explained.message : String(explained);
      throw new AthenaQueryError(`Query ${id} failed: ${message}`, { cause: error });
    }
    if (!unload) this.results.set(id, resultPath);
    return {
      $metadata: {},
      QueryExecution: {
        QueryExecutionId: id,
        Query: query,
        StatementType: 'DML',
        ResultConfiguration: { OutputLocation: unload ? `${output}/${id}` : resultUri },
        QueryExecutionContext: input.QueryExecutionContext,
        Status: { State: 'SUCCEEDED', SubmissionDateTime: submitted, CompletionDateTime: new Date() },
        ...(unload ? { Statistics: { DataManifestLocation: resultUri } } : {}),
        WorkGroup: input.WorkGroup,
      },
    };
  }

  /**
   * UNLOAD: refused when its TO location holds any object ("Before the UNLOAD query writes to the location
   * specified, it verifies that the bucket location is empty", https://docs.aws.amazon.com/athena/latest/ug/unload.html).
   * One Parquet file, written beside the manifest and renamed into place, so the location never holds a torn file.
   */
  private async unload(statement: UnloadStatement, id: string, manifestUri: string): Promise<void> {
    const existing = this.store.list(statement.target);
    if (existing.length > 0) {
      // The UNLOAD page states the refusal, not its text: this is the code Athena gives a CTAS whose target holds
      // data (e.g. https://github.com/dbt-labs/dbt-athena/issues/58); no Retry or Catch depends on it.
      throw new AthenaQueryError(
        `Query ${id} failed: HIVE_PATH_ALREADY_EXISTS: Target directory for UNLOAD already exists: ${statement.target} (holds ${existing.length} object(s), e.g. ${existing[0]}). UNLOAD does not overwrite existing data; delete it and run the query again.`,
      );
    }
    const fileUri = `${statement.target}${id}_00000.parquet`;
    const finalPath = this.store.pathOf(fileUri);
    const partial = `${this.store.pathOf(manifestUri)}.partial.parquet`;
    const connection = await this.lake.connect();
    try {
      await connection.run(
        `COPY (${statement.query}) TO '${quoted(partial)}' (FORMAT parquet, COMPRESSION ${statement.compression})`,
      );
      mkdirSync(dirname(finalPath), { recursive: true });
      renameSync(partial, finalPath);
    } finally {
      rmSync(partial, { force: true });
    }
    writeFileSync(this.store.pathOf(manifestUri), `${fileUri}\n`);
  }
}

const quoted = (path: string): string => path.replace(/'/g, "''");

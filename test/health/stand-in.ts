import {
  type AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { LocalAthena } from '../../local/adapters/athena';

/** AthenaLakeQuery's client, answered by the local runtime's Athena stand-in (DuckDB over the lake, CSV results). */
export function standInClient(athena: LocalAthena): AthenaClient {
  const done = new Map<string, GetQueryExecutionCommandOutput>();
  const send = async (command: unknown) => {
    if (command instanceof StartQueryExecutionCommand) {
      const out = await athena.startQueryExecutionSync(command.input);
      const id = out.QueryExecution?.QueryExecutionId ?? '';
      done.set(id, out);
      return { QueryExecutionId: id };
    }
    if (command instanceof GetQueryExecutionCommand) return done.get(command.input.QueryExecutionId ?? '');
    if (command instanceof GetQueryResultsCommand) return athena.getQueryResults(command.input);
    throw new Error(`unexpected command ${String(command)}`);
  };
  return { send } as unknown as AthenaClient;
}

/** Every JSON line written to stdout and stderr while `fn` runs (EMF documents and Powertools log lines). */
export async function captureOutput(fn: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const keep = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(keep);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(keep);
  try {
    await fn();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

import { powertools } from '../../tasks/powertools';
import { createHandler } from '../../tasks/shadow-compare';
import type { FolderObjectStore } from '../adapters/s3';
import { lambdaContext } from '../aws-endpoints/lambda-context';
import type { LocalLake } from '../lake';

/**
 * The CompareShadow Task locally: the same handler (tasks/shadow-compare.ts) in process, its lake query answered by
 * the local lake's DuckDB (the DuckDB text of the same query) and the capture read from the local S3 folder the
 * endpoint host writes it to. In process rather than from its bundle: the local AWS endpoints have no Athena.
 */
export function localShadowCompare(lake: LocalLake, store: FolderObjectStore) {
  const handler = createHandler({
    ...powertools('shadow-compare'),
    dialect: 'duckdb',
    predictionsTable: 'predictions',
    labelsTable: 'labels',
    store,
    lake: {
      select: async (sql) => {
        const reader = await (await lake.connect()).runAndReadAll(sql);
        const names = reader.columnNames();
        return reader
          .getRows()
          .map((row) =>
            Object.fromEntries(
              names.map((n, i) => [n, row[i] === null || row[i] === undefined ? null : String(row[i])]),
            ),
          );
      },
    },
  });
  return (input: unknown) => handler(input, lambdaContext('ShadowCompareFunction', { timeoutMs: 300_000 }));
}

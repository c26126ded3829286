import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelFiles } from '../../automl/channel';
import { trainingDataFromParquet } from '../../automl/parquet';
import { LocalAthena } from '../../local/adapters/athena';
import { parseUnload, UnloadStatementError } from '../../local/adapters/athena-unload';
import { FolderObjectStore } from '../../local/adapters/s3';
import { LocalLake } from '../../local/lake';

/** Athena's UNLOAD as the local runtime runs it: Parquet under an empty prefix, refused where Athena refuses. */

const SELECT = `SELECT * FROM (VALUES (1.5, 'x', 1), (2.5, 'it''s', 0), (NULL, 'z', 1)) AS t(a, s, occupied) ORDER BY a DESC`;
const unload = (to: string, props = "format = 'PARQUET', compression = 'SNAPPY'") =>
  `UNLOAD (${SELECT}) TO '${to}' WITH (${props})`;

describe('parseUnload', () => {
  it('reads the query, the target prefix and the properties; other statements are not an UNLOAD', () => {
    expect(parseUnload(unload('s3://b/runs/r/data/train/'))).toEqual({
      query: SELECT,
      target: 's3://b/runs/r/data/train/',
      format: 'PARQUET',
      compression: 'snappy',
    });
    expect(parseUnload(`${unload('s3://b/x', "format = 'parquet'")};`)).toMatchObject({
      target: 's3://b/x/',
      compression: 'gzip', // Athena's default for Parquet
    });
    expect(parseUnload('SELECT 1')).toBeUndefined();
    // A ')' inside a literal or a quoted name does not end the query.
    expect(parseUnload(`UNLOAD (SELECT ')' AS ")") TO 's3://b/p/' WITH (format = 'PARQUET')`)?.query).toBe(
      `SELECT ')' AS ")"`,
    );
  });

  it.each([
    ["format = 'CSV'", 'format', /format 'CSV' is not supported; one of ORC, PARQUET, AVRO, JSON, TEXTFILE/],
    ["compression = 'SNAPPY'", 'format', /'format' is required/],
    ["format = 'PARQUET', compression = 'zstd'", 'compression', /compression 'zstd' is not supported for PARQUET/],
    ["format = 'PARQUET', compresion = 'gzip'", 'compresion', /unknown property "compresion"/],
    ["format = 'JSON'", 'format', /valid on Athena but the local runtime writes only PARQUET/],
    ["format = 'PARQUET', partitioned_by = ARRAY['a', 's']", 'partitioned_by', /does not implement/],
  ])('WITH (%s) is refused, naming %s', (props, field, message) => {
    let error: unknown;
    try {
      parseUnload(unload('s3://b/p/', props));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnloadStatementError);
    expect(error).toMatchObject({ field, message: expect.stringMatching(message) });
  });

  it('refuses a target that is not an s3:// location and a statement that is not a SELECT', () => {
    expect(() => parseUnload(unload('/tmp/x/'))).toThrow(/TO must be an s3:\/\/ location/);
    expect(() => parseUnload(`UNLOAD (DELETE FROM t) TO 's3://b/p/' WITH (format = 'PARQUET')`)).toThrow(
      /must be a SELECT query/,
    );
    // A WITH directly inside UNLOAD is not the documented shape; inside a FROM subquery it is.
    expect(() =>
      parseUnload(`UNLOAD (WITH x AS (SELECT 1 AS a) SELECT a FROM x) TO 's3://b/p/' WITH (format = 'PARQUET')`),
    ).toThrow(/put a WITH inside a FROM subquery/);
    expect(
      parseUnload(
        `UNLOAD (SELECT a FROM (WITH x AS (SELECT 1 AS a) SELECT a FROM x) q) TO 's3://b/p/' WITH (format = 'PARQUET')`,
      )?.query,
    ).toBe('SELECT a FROM (WITH x AS (SELECT 1 AS a) SELECT a FROM x) q');
  });
});

describe('LocalAthena UNLOAD', () => {
  let dir: string;
  let lake: LocalLake;
  let athena: LocalAthena;
  let store: FolderObjectStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'athena-unload-'));
    lake = LocalLake.open(dir);
    store = new FolderObjectStore(dir);
    athena = new LocalAthena(lake, store);
  });
  afterEach(() => {
    lake.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const start = (QueryString: string) =>
    athena.startQueryExecutionSync({
      QueryString,
      QueryExecutionContext: { Database: 'occupancy' },
      ResultConfiguration: { OutputLocation: 's3://artifacts/runs/r/athena/' },
    });

  it('writes one Snappy Parquet file under the prefix, in the query order, and a manifest naming it', async () => {
    const result = await start(unload('s3://artifacts/runs/r/data/train/'));
    const id = String(result.QueryExecution?.QueryExecutionId);
    const manifest = String(result.QueryExecution?.Statistics?.DataManifestLocation);
    expect(manifest).toBe(`s3://artifacts/runs/r/athena/${id}-manifest.csv`);
    const files = store.list('s3://artifacts/runs/r/data/train/');
    expect(files).toHaveLength(1);
    expect(readFileSync(store.pathOf(manifest), 'utf8')).toBe(`${files[0]}\n`);
    expect(store.list('s3://artifacts/runs/r/athena/')).toEqual([manifest]); // no partial file left behind
    const connection = await lake.connect();
    const path = store.pathOf(String(files[0]));
    const codecs = await connection.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`);
    expect(codecs.getRows().map((r) => String(r[0]).toUpperCase())).toEqual(['SNAPPY']);
    // What the local AutoML reads from the channel: the rows in order, the string column ignored.
    const data = await trainingDataFromParquet(
      channelFiles(store.pathOf('s3://artifacts/runs/r/data/train/')),
      'occupied',
    );
    expect(data.table.names).toEqual(['a']);
    expect(data.table.ignored).toEqual(['s']);
    expect([...(data.table.columns[0] ?? [])]).toEqual([2.5, 1.5, Number.NaN]); // NULLS LAST, as Trino sorts
    expect([...data.table.target]).toEqual([0, 1, 1]);
  });

  it('refuses a target that holds data, with Athena error and nothing written', async () => {
    await store.putText('s3://artifacts/runs/r/data/holdout/old.csv', 'a\n1\n');
    await expect(start(unload('s3://artifacts/runs/r/data/holdout/'))).rejects.toMatchObject({
      name: 'Athena.InvalidRequestException',
      message: expect.stringMatching(/HIVE_PATH_ALREADY_EXISTS: .*runs\/r\/data\/holdout\//),
    });
    expect(store.list('s3://artifacts/runs/r/data/holdout/')).toEqual(['s3://artifacts/runs/r/data/holdout/old.csv']);
    // Running the same UNLOAD twice is refused the second time: the first one filled the prefix.
    await start(unload('s3://artifacts/runs/r/data/train/'));
    await expect(start(unload('s3://artifacts/runs/r/data/train/'))).rejects.toThrow(/HIVE_PATH_ALREADY_EXISTS/);
  });

  it('a refused statement fails the query as Athena.InvalidRequestException', async () => {
    await expect(start(unload('s3://artifacts/p/', "format = 'PARQUET', compression = 'lz4'"))).rejects.toMatchObject({
      name: 'Athena.InvalidRequestException',
      message: expect.stringMatching(/compression 'lz4' is not supported for PARQUET/),
    });
    expect(store.list('s3://artifacts/p/')).toEqual([]);
  });
});

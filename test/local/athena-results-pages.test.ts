import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalAthena } from '../../local/adapters/athena';
import { FolderObjectStore } from '../../local/adapters/s3';
import { LocalLake } from '../../local/lake';

/** GetQueryResults as Athena pages it: MaxResults rows a page, the header first on page one only, NextToken. */
describe('LocalAthena GetQueryResults pages', () => {
  let dir: string;
  let lake: LocalLake;
  let athena: LocalAthena;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'athena-pages-'));
    lake = LocalLake.open(dir);
    athena = new LocalAthena(lake, new FolderObjectStore(dir));
  });
  afterEach(() => {
    lake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (QueryString: string): Promise<string> => {
    const out = await athena.startQueryExecutionSync({
      QueryString,
      QueryExecutionContext: { Database: 'occupancy' },
      ResultConfiguration: { OutputLocation: 's3://artifacts/athena/' },
    });
    return String(out.QueryExecution?.QueryExecutionId);
  };

  it('returns every row of a 2 500-row result over three pages, the header only once', async () => {
    const id = await run('SELECT i FROM range(2500) t(i) ORDER BY i');
    const values: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await athena.getQueryResults({ QueryExecutionId: id, ...(token ? { NextToken: token } : {}) });
      pages += 1;
      const rows = page.ResultSet?.Rows ?? [];
      expect(rows.length).toBeLessThanOrEqual(1000);
      values.push(...rows.map((r) => String(r.Data?.[0]?.VarCharValue)));
      token = page.NextToken;
    } while (token !== undefined);
    expect(pages).toBe(3);
    expect(values[0]).toBe('i');
    expect(values.slice(1)).toEqual(Array.from({ length: 2500 }, (_, i) => String(i)));
  });

  it('honours MaxResults and ends without a NextToken when the rows end on a page boundary', async () => {
    const id = await run('SELECT i FROM range(3) t(i) ORDER BY i');
    const first = await athena.getQueryResults({ QueryExecutionId: id, MaxResults: 2 });
    expect(first.ResultSet?.Rows?.map((r) => r.Data?.[0]?.VarCharValue)).toEqual(['i', '0']);
    const second = await athena.getQueryResults({ QueryExecutionId: id, MaxResults: 2, NextToken: first.NextToken });
    expect(second.ResultSet?.Rows?.map((r) => r.Data?.[0]?.VarCharValue)).toEqual(['1', '2']);
    expect(second.NextToken).toBeUndefined();
  });

  it("refuses another query's token", async () => {
    const a = await run('SELECT i FROM range(5) t(i)');
    const b = await run('SELECT i FROM range(5) t(i)');
    const page = await athena.getQueryResults({ QueryExecutionId: a, MaxResults: 2 });
    await expect(athena.getQueryResults({ QueryExecutionId: b, NextToken: page.NextToken })).rejects.toThrow(
      /NextToken is not a token of query/,
    );
  });
});

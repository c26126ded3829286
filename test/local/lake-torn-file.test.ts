import { appendFileSync, mkdtempSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainLakeReadError, LakeError } from '../../local/lake';
import { cliInProcess } from './cli-in-process';

/**
 * A lake file torn before appends were all-or-nothing (or edited by hand) used to stop every baseline and run with
 * DuckDB's bare "Malformed JSON in file …". The error now names the file and what to do, and doing it works.
 */
jest.setTimeout(60_000);

const UCI = join(__dirname, '..', 'fixtures', 'uci-occupancy', 'datatraining.txt');

it('names a torn lake file and how to move it aside; after that, baseline works', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lake-torn-'));
  expect((await cliInProcess(['import', UCI, '--format', 'uci-occupancy', '--state-dir', dir])).code).toBe(0);
  const day = join(dir, 'lake', 'telemetry', 'dt=2015-02-06');
  const part = readdirSync(day).find((f) => f.endsWith('.ndjson')) ?? '';
  const torn = join(day, part);
  appendFileSync(torn, '{"thing_name":"room","ts":');

  const refused = await cliInProcess(['baseline', '--state-dir', dir]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(`The lake file ${torn} cannot be read`);
  expect(refused.stderr).toContain(`mv "${torn}" "${torn}.bad"`);
  expect(refused.stderr).not.toMatch(/Invalid Input Error|\n\s+at /);

  renameSync(torn, `${torn}.bad`);
  const after = await cliInProcess(['baseline', '--state-dir', dir]);
  expect(after.code).toBe(0);
  expect(after.stdout).toContain('best-threshold');
});

it('leaves any other error as it was', () => {
  const other = new Error('Catalog Error: Table with name nope does not exist');
  expect(explainLakeReadError(other)).toBe(other);
  expect(explainLakeReadError(new Error('Malformed JSON in file "/x/part.ndjson", at byte 3 in line 9: bad'))).toEqual(
    expect.any(LakeError),
  );
});

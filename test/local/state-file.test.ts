import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { parseStateFile, readStateFile, readStateFiles, StateFileError } from '../../local/state-file';

/** The loader names the file, says what is wrong in plain words and what to do. */

const KIND = { what: 'execution record', schema: z.object({ name: z.string(), startDate: z.number() }) };
const FILE = '/state/executions/run-1.json';

function errorOf(text: string, kind: typeof KIND | (typeof KIND & { advice: 'fix' }) = KIND): StateFileError {
  try {
    parseStateFile(FILE, text, kind);
  } catch (error) {
    if (error instanceof StateFileError) return error;
    throw error;
  }
  throw new Error('parsed');
}

describe('parseStateFile', () => {
  it.each([
    ['{"name": "run-1", "startD', 'truncated', /is not valid JSON: it is cut off/],
    ['', 'empty', /is empty \(it should hold an execution record\)/],
    ['  \n', 'empty', /is empty/],
    ['null', 'null', /holds null/],
    ['{"name": "run-1"} trailing', 'not-json', /is not valid JSON \(/],
    ['{"name": "run-1", "startDate": null}', 'shape', /is not a valid execution record: field "startDate": /],
    ['[1, 2]', 'shape', /is not a valid execution record: at the top level: /],
  ])('%j: %s', (text, problem, message) => {
    const error = errorOf(text);
    expect(error.problem).toBe(problem);
    expect(error.file).toBe(FILE);
    expect(error.message.startsWith(`${FILE} `)).toBe(true);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`move it aside (e.g. mv ${FILE} ${FILE}.bad) and re-run`);
  });

  it('tells the user to fix a file that is theirs (config.json) rather than move it aside', () => {
    expect(errorOf('{', { ...KIND, advice: 'fix' }).message).toMatch(/fix it or move it aside, then re-run$/);
  });

  it('returns the parsed value of a good file', () => {
    expect(parseStateFile(FILE, '{"name":"run-1","startDate":5}', KIND)).toEqual({ name: 'run-1', startDate: 5 });
  });
});

describe('readStateFile / readStateFiles', () => {
  it('names an unreadable path, and keeps good files apart from bad ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'state-file-'));
    expect(() => readStateFile(dir, KIND)).toThrow(expect.objectContaining({ problem: 'unreadable', file: dir }));
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(good, '{"name":"a","startDate":1}');
    writeFileSync(bad, '{"name":');
    const { values, bad: errors } = readStateFiles([good, bad], KIND);
    expect(values).toEqual([{ name: 'a', startDate: 1 }]);
    expect(errors.map((e) => e.file)).toEqual([bad]);
    rmSync(dir, { recursive: true, force: true });
  });
});

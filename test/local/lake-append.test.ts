import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LakeError, LocalLake } from '../../local/lake';
import type { Reading } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5, 12);

const reading = (thingName: string, ts: number, sound = 5): Reading => ({
  thingName,
  ts,
  values: { temperature: 21, humidity: 40, sound, hvac_status: 'OFF' },
});

/** Every file under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** A process id that is not running (the recovery treats staging of a dead pid as abandoned). */
const DEAD_PID = 2 ** 22 + 17;

describe('LakeAppend: all-or-nothing appends', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lake-append-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stages many batches invisibly and makes them visible at commit, leaving no staging behind', async () => {
    const lake = LocalLake.open(dir, THERMOSTAT);
    const tx = lake.beginAppend();
    expect(tx.appendReadings([reading('a', T0), reading('a', T0 + DAY)], 1)).toBe(2);
    expect(tx.appendReadings([reading('b', T0 + 1)], [7])).toBe(1);
    expect(tx.appendLabels([{ thingName: 'a', ts: T0, occupied: true }])).toBe(1);
    expect(tree(join(dir, 'lake', 'telemetry'))).toEqual([]);
    expect(await lake.count('telemetry')).toBe(0);
    expect(tx.commit()).toEqual({ readings: 3, labels: 1, predictions: 0, sensorFaults: 0, files: 3 });
    expect(tx.status).toBe('committed');
    expect(await lake.count('telemetry')).toBe(3);
    expect(await lake.count('labels')).toBe(1);
    expect(tree(join(dir, 'lake', '_staging'))).toEqual([]);
    tx.abort(); // a no-op once committed
    expect(await lake.count('telemetry')).toBe(3);
    lake.close();
  });

  it('abort discards every staged row; a later call on it is refused', async () => {
    const lake = LocalLake.open(dir, THERMOSTAT);
    const tx = lake.beginAppend();
    tx.appendReadings([reading('a', T0)]);
    tx.abort();
    expect(tx.status).toBe('aborted');
    expect(() => tx.appendReadings([reading('a', T0)])).toThrow(/already aborted/);
    expect(() => tx.commit()).toThrow(LakeError);
    expect(await lake.count('telemetry')).toBe(0);
    expect(tree(join(dir, 'lake'))).toEqual(['manifest.json']);
    lake.close();
  });

  it('a bad row in a later batch aborts the whole append, earlier batches included', async () => {
    const lake = LocalLake.open(dir, THERMOSTAT);
    const tx = lake.beginAppend();
    tx.appendReadings([reading('a', T0)]);
    const partial: Reading = { thingName: 'a', ts: T0 + 1, values: { temperature: 20, humidity: 40, sound: 3 } };
    expect(() => tx.appendReadings([reading('a', T0 + 2), partial])).toThrow(/lacks signal "hvac_status"/);
    expect(tx.status).toBe('aborted');
    expect(await lake.count('telemetry')).toBe(0);
    // The one-shot wrapper is all-or-nothing too.
    expect(() => lake.appendReadings([reading('a', T0), partial])).toThrow(LakeError);
    expect(await lake.count('telemetry')).toBe(0);
    // A failed first append leaves no lake behind, not even a manifest binding the state dir to a set.
    expect(tree(join(dir, 'lake'))).toEqual([]);
    expect(LocalLake.exists(dir)).toBe(false);
    lake.close();
  });

  it('on open, rolls back an append of a dead process without a commit marker and rolls forward one with it', async () => {
    LocalLake.open(dir, THERMOSTAT).close();
    const staging = join(dir, 'lake', '_staging');
    const row = `${JSON.stringify({ thing_name: 'a', ts: T0, received_at: 1, temperature: 21, humidity: 40, sound: 5, hvac_status: 'OFF' })}\n`;
    const stage = (name: string, committed: boolean, text: string): void => {
      mkdirSync(join(staging, name, 'telemetry', 'dt=2026-01-05'), { recursive: true });
      writeFileSync(join(staging, name, 'telemetry', 'dt=2026-01-05', `part-${name}.ndjson`), text);
      if (committed) writeFileSync(join(staging, name, 'COMMITTED'), '');
    };
    stage(`tx-${DEAD_PID}-1-torn`, false, `${row}${row}{"thing_name":"a","ts":`); // killed mid-write
    stage(`tx-${DEAD_PID}-2-done`, true, `${row}${row}`); // killed between commit point and renames
    stage(`tx-${process.pid}-3-live`, false, row); // a live appender's: left alone
    writeFileSync(join(dir, 'lake', `manifest.json.${DEAD_PID}.tmp`), '{"sig');
    const notices: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      notices.push(String(chunk));
      return true;
    });
    const lake = LocalLake.open(dir);
    stderr.mockRestore();
    expect(lake.recovered).toEqual({ rolledForward: 1, rolledBack: 1 });
    // The user is told that an import of theirs did not land.
    expect(notices.join('')).toMatch(/discarded 1 append\(s\) cut off before they committed.*run that import again/);
    expect(await lake.count('telemetry')).toBe(2);
    expect(readdirSync(staging)).toEqual([`tx-${process.pid}-3-live`]);
    expect(existsSync(join(dir, 'lake', `manifest.json.${DEAD_PID}.tmp`))).toBe(false);
    lake.close();
  });

  it('part files land whole in their day partitions with unique names', () => {
    const lake = LocalLake.open(dir, THERMOSTAT);
    lake.appendReadings([reading('a', T0), reading('a', T0 + 1)]);
    lake.appendReadings([reading('a', T0 + 2)]);
    const files = tree(join(dir, 'lake', 'telemetry'));
    expect(files).toHaveLength(2);
    expect(files.every((f) => f.startsWith('dt=2026-01-05/part-') && f.endsWith('.ndjson'))).toBe(true);
    const lines = files.flatMap((f) => readFileSync(join(dir, 'lake', 'telemetry', f), 'utf8').split('\n'));
    expect(lines.filter((l) => l !== '').map((l) => JSON.parse(l).ts)).toEqual(
      expect.arrayContaining([T0, T0 + 1, T0 + 2]),
    );
    lake.close();
  });
});

describe('a bad lake manifest is a LakeError naming the file and what to do', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lake-manifest-'));
    mkdirSync(join(dir, 'lake'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['truncated', '{"signalSet":"thermo', /is not valid JSON: it is cut off/],
    ['empty', '', /is empty/],
    ['null', 'null', /holds null/],
    ['an array', '[]', /is not a valid lake manifest: at the top level/],
    ['wrong shape', '{"signalSet":42}', /is not a valid lake manifest: field "signalSet"/],
    ['no signal set', '{}', /is not a valid lake manifest: field "signalSet"/],
    ['an unknown id', '{"signalSet":"nope"}', /names an unknown signal set: Unknown signal set "nope"; known: /],
    ['a bad document', '{"signalSet":"x","signalSetDocument":{"id":1}}', /holds an invalid signal set/],
  ])('%s', (_what, text, problem) => {
    const path = join(dir, 'lake', 'manifest.json');
    writeFileSync(path, text);
    for (const read of [() => LocalLake.open(dir), () => LocalLake.signalSetOf(dir)]) {
      let error: unknown;
      try {
        read();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LakeError);
      const message = (error as LakeError).message;
      expect(message).toContain(path);
      expect(message).toMatch(problem);
      expect(message).toMatch(/To fix it \(the lake's data files are untouched\), restore .* or rewrite it naming/);
    }
  });

  it('data without a manifest (deleted or moved aside) is refused, not taken for an empty lake', () => {
    const lake = LocalLake.open(dir, THERMOSTAT);
    lake.appendReadings([reading('a', T0)]);
    lake.close();
    rmSync(join(dir, 'lake', 'manifest.json'));
    expect(LocalLake.exists(dir)).toBe(true); // so `run` does not simulate into it
    expect(() => LocalLake.open(dir)).toThrow(/holds data but no manifest\.json\. To fix it/);
  });
});

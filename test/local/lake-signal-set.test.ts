import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importIntoLake } from '../../local/commands/import';
import { LakeError, LocalLake } from '../../local/lake';
import { loadLocalConfig } from '../../local/local-config';
import { signalSetOf } from '../../pipeline/config';
import { loadSignalSetFile } from '../../telemetry/signal-set-schema';
import { type SignalSet, THERMOSTAT } from '../../telemetry/signals';

const USER_SET = loadSignalSetFile(join(__dirname, '..', 'fixtures', 'signal-sets', 'co2-pir-sound.json'));
/** The manifest is written by a lake's first commit. */
function createLake(dir: string, set: SignalSet): void {
  const lake = LocalLake.open(dir, set);
  lake.appendLabels([{ thingName: 'room-1', ts: Date.UTC(2026, 0, 1), occupied: false }]);
  lake.close();
}
const stateDir = (): string => mkdtempSync(join(tmpdir(), 'lake-sigset-'));

describe('the lake records its signal set document', () => {
  it('a lake created with a user set knows the whole set, and the local config runs on it', () => {
    const dir = stateDir();
    createLake(dir, USER_SET);
    const manifest = JSON.parse(readFileSync(join(dir, 'lake', 'manifest.json'), 'utf8'));
    expect(manifest.signalSetDocument).toEqual(USER_SET);
    expect(LocalLake.open(dir).signalSet).toEqual(USER_SET);
    const config = loadLocalConfig(dir);
    expect(config.signalSetId).toBe('co2-pir-sound');
    expect(signalSetOf(config).signals.map((s) => s.name)).toEqual(['co2', 'pir', 'sound_north', 'sound_south']);
    expect(config.staticRule).toEqual({ signal: 'sound_north', level: 45 });
  });

  it('an old manifest with only a built-in id still opens', () => {
    const dir = stateDir();
    mkdirSync(join(dir, 'lake'), { recursive: true });
    writeFileSync(join(dir, 'lake', 'manifest.json'), '{"signalSet":"uci-occupancy"}\n');
    expect(LocalLake.open(dir).signalSet.id).toBe('uci-occupancy');
    expect(signalSetOf(loadLocalConfig(dir)).signals.map((s) => s.name)).toContain('light');
  });

  it('refuses another set, or another document under the same id', () => {
    const dir = stateDir();
    createLake(dir, USER_SET);
    expect(() => LocalLake.open(dir, THERMOSTAT)).toThrow(LakeError);
    const altered = { ...USER_SET, signals: USER_SET.signals.slice(0, 2) };
    expect(() => LocalLake.open(dir, altered)).toThrow(/different document of the same id/);
  });

  it('an invalid recorded document is refused naming the manifest', () => {
    const dir = stateDir();
    mkdirSync(join(dir, 'lake'), { recursive: true });
    writeFileSync(join(dir, 'lake', 'manifest.json'), '{"signalSet":"x","signalSetDocument":{"id":"x"}}\n');
    expect(() => LocalLake.signalSetOf(dir)).toThrow(/manifest\.json holds an invalid signal set/);
  });

  it('import --format ndjson --signal-set FILE validates rows against the user set and records it', async () => {
    const dir = stateDir();
    const file = join(dir, 'in.ndjson');
    const row = { thingName: 'r1', timestamp: Date.UTC(2026, 0, 7), co2: 800, pir: 1, sound_north: 50, soundSouth: 40 };
    writeFileSync(file, `${JSON.stringify({ ...row, occupied: true })}\n${JSON.stringify({ ...row, co2: 99999 })}\n`);
    const fixture = join(__dirname, '..', 'fixtures', 'signal-sets', 'co2-pir-sound.json');
    const summary = await importIntoLake(dir, file, 'ndjson', { signalSet: fixture });
    expect(summary).toMatchObject({ signalSet: 'co2-pir-sound', imported: 1, labels: 1, rejected: 1 });
    expect(LocalLake.signalSetOf(dir)).toEqual(USER_SET);
  });
});

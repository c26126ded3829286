import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../local/args';
import { importIntoLake } from '../../local/commands/import';
import { ensureLakeHasData } from '../../local/commands/run';
import { LakeError, LocalLake } from '../../local/lake';
import { inferenceEnv, LocalConfigError, loadLocalConfig } from '../../local/local-config';
import { synthesizePipeline } from '../../local/runtime/synth';
import { parsePipelineConfig } from '../../pipeline/config';
import { parseInferenceConfig } from '../../tasks/infer-occupancy';
import { THERMOSTAT } from '../../telemetry/signals';
import { UCI_TRAINING, uciNdjson } from '../fixtures/uci-occupancy';
import { uciRoomOccupancyText } from '../fixtures/uci-room-occupancy';

/** The lake decides: the signal set the lake holds, and its own static rule unless config.json names one. */

const IOT_ANALYTICS = join(__dirname, '..', 'fixtures', 'iot-analytics', 'dataset-content.csv');

let dirs: string[] = [];
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'local-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function withFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('the pipeline config resolves the static rule from the signal set', () => {
  it('thermostat: its own rule sound > 10; a set with no rule: none; explicit null: none; explicit rule wins', () => {
    expect(parsePipelineConfig({}).staticRule).toEqual({ signal: 'sound', level: 10 });
    expect(parsePipelineConfig({ signalSetId: 'uci-occupancy' }).staticRule).toBeNull();
    expect(parsePipelineConfig({ signalSetId: 'uci-room-occupancy' }).staticRule).toBeNull();
    expect(parsePipelineConfig({ staticRule: null }).staticRule).toBeNull();
    expect(
      parsePipelineConfig({ signalSetId: 'uci-occupancy', staticRule: { signal: 'light', level: 365 } }).staticRule,
    ).toEqual({ signal: 'light', level: 365 });
  });

  it('refuses a partial static rule, naming the field', () => {
    expect(() => parsePipelineConfig({ staticRule: { level: 20 } })).toThrow(
      expect.objectContaining({ name: 'PipelineConfigError', field: 'staticRule.signal' }),
    );
  });
});

describe('loadLocalConfig: the lake decides', () => {
  it.each([
    ['uci-occupancy', 'uci-occupancy', (_: string) => UCI_TRAINING, {}],
    ['uci-room-occupancy', 'uci-room-occupancy', (d: string) => withFile(d, 'room.csv', uciRoomOccupancyText(8)), {}],
    ['ndjson', 'uci-occupancy', (d: string) => withFile(d, 'r.ndjson', uciNdjson(50)), { signalSet: 'uci-occupancy' }],
    ['iot-analytics-csv', 'thermostat', (_: string) => IOT_ANALYTICS, {}],
  ] as const)(
    'after `import --format %s` with no config.json: signal set %s and its own rule',
    async (format, set, file, options) => {
      const dir = stateDir();
      await importIntoLake(dir, file(dir), format, options);
      const config = loadLocalConfig(dir);
      expect(config.signalSetId).toBe(set);
      expect(config.staticRule).toEqual(set === 'thermostat' ? { signal: 'sound', level: 10 } : null);
    },
  );

  it('an empty state dir keeps the thermostat defaults (what `start` simulates)', () => {
    const config = loadLocalConfig(stateDir());
    expect(config.signalSetId).toBe('thermostat');
    expect(config.staticRule).toEqual({ signal: 'sound', level: 10 });
  });

  it('the state machine is synthesized for the lake: its export reads the lake’s columns, Evaluate gets no static rule', async () => {
    const dir = stateDir();
    await importIntoLake(dir, UCI_TRAINING, 'uci-occupancy');
    const { definition } = synthesizePipeline(loadLocalConfig(dir));
    const text = JSON.stringify(definition);
    expect(text).toContain('\\"light\\"');
    expect(text).toContain('\\"humidity_ratio\\"');
    expect(text).not.toContain('\\"sound\\"');
    // payloadResponseOnly: the Parameters are the Lambda's payload.
    const evaluate = definition.States.Evaluate as { Parameters?: Record<string, unknown> };
    expect(evaluate.Parameters).toMatchObject({ signalSetId: 'uci-occupancy' });
    expect(evaluate.Parameters).not.toHaveProperty('staticRule');
  });

  it('an explicit config.json static rule still wins; `null` means none', async () => {
    const dir = stateDir();
    await importIntoLake(dir, UCI_TRAINING, 'uci-occupancy');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ staticRule: { signal: 'light', level: 365 } }));
    expect(loadLocalConfig(dir).staticRule).toEqual({ signal: 'light', level: 365 });
    // Restating the lake's own signal set is fine.
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ signalSetId: 'uci-occupancy', staticRule: null }));
    expect(loadLocalConfig(dir)).toMatchObject({ signalSetId: 'uci-occupancy', staticRule: null });
  });

  it('refuses a config.json whose signalSetId contradicts the lake, naming both sets and the file', async () => {
    const dir = stateDir();
    await importIntoLake(dir, UCI_TRAINING, 'uci-occupancy');
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ signalSetId: 'thermostat' }));
    let error: unknown;
    try {
      loadLocalConfig(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LocalConfigError);
    expect(error).toMatchObject({ field: 'signalSetId', file });
    const message = (error as Error).message;
    for (const part of ['"thermostat"', '"uci-occupancy"', file]) expect(message).toContain(part);
  });

  it('refuses a static rule on a signal the lake does not have, and a config.json that is not JSON', async () => {
    const dir = stateDir();
    await importIntoLake(dir, UCI_TRAINING, 'uci-occupancy');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ staticRule: { signal: 'sound', level: 10 } }));
    expect(() => loadLocalConfig(dir)).toThrow(
      expect.objectContaining({ name: 'LocalConfigError', field: 'staticRule.signal' }),
    );
    writeFileSync(join(dir, 'config.json'), '{"gate": ');
    expect(() => loadLocalConfig(dir)).toThrow(/config\.json is not valid JSON/);
  });

  it('a lake with one signal set refuses readings of another, naming both', async () => {
    const dir = stateDir();
    await importIntoLake(dir, UCI_TRAINING, 'uci-occupancy');
    await expect(importIntoLake(dir, IOT_ANALYTICS, 'iot-analytics-csv')).rejects.toThrow(LakeError);
    expect(() => LocalLake.open(dir, THERMOSTAT)).toThrow(/holds signal set "uci-occupancy"; cannot add "thermostat"/);
    expect(LocalLake.signalSetIdOf(dir)).toBe('uci-occupancy');
  });

  it('live inference (start, serve) infers for the lake’s signal set, with its static rule as the fallback', async () => {
    const dir = stateDir();
    await importIntoLake(dir, UCI_TRAINING, 'uci-occupancy');
    const uci = parseInferenceConfig(inferenceEnv(loadLocalConfig(dir)));
    expect(uci).toMatchObject({ signalSetId: 'uci-occupancy', endpointName: 'occupancy', fallback: null });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ staticRule: { signal: 'light', level: 365 } }));
    expect(parseInferenceConfig(inferenceEnv(loadLocalConfig(dir))).fallback).toEqual({ signal: 'light', level: 365 });
    const thermostat = parseInferenceConfig(inferenceEnv(loadLocalConfig(stateDir())));
    expect(thermostat).toMatchObject({ signalSetId: 'thermostat', fallback: { signal: 'sound', level: 10 } });
  });

  it('with no lake, a config naming a set the simulator cannot make is refused instead of simulating thermostats', () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ signalSetId: 'uci-occupancy' }));
    expect(() => ensureLakeHasData(dir, 1, 1)).toThrow(UsageError);
    expect(() => ensureLakeHasData(dir, 1, 1)).toThrow(/"uci-occupancy".*occupancy import/);
    expect(LocalLake.exists(dir)).toBe(false);
  });
});

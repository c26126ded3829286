import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSignalSetFile, parseSignalSet, SignalSetError } from '../../telemetry/signal-set-schema';
import { HVAC_STATUSES, SIGNAL_SETS, signalSetById, THERMOSTAT } from '../../telemetry/signals';

const FIXTURE = join(__dirname, '..', 'fixtures', 'signal-sets', 'co2-pir-sound.json');

const base = () => ({
  id: 'my-fleet',
  description: 'test',
  signals: [
    { name: 'co2', kind: 'numeric', unit: 'ppm', min: 300, max: 5000 },
    { name: 'mode', kind: 'enum', values: ['A', 'B'] },
  ],
});

function errorOf(json: unknown): SignalSetError {
  try {
    parseSignalSet(json, 'fleet.json');
  } catch (e) {
    if (e instanceof SignalSetError) return e;
    throw e;
  }
  throw new Error('expected a SignalSetError');
}

describe('signal set documents', () => {
  it('the built-ins are parsed from JSON and keep their shape', () => {
    expect(Object.keys(SIGNAL_SETS)).toEqual(['thermostat', 'uci-occupancy', 'uci-room-occupancy']);
    expect(THERMOSTAT.staticRule).toEqual({ signal: 'sound', level: 10 });
    const hvac = THERMOSTAT.signals.find((s) => s.name === 'hvac_status');
    expect(hvac).toEqual({ name: 'hvac_status', kind: 'enum', values: [...HVAC_STATUSES], reportedKey: 'hvacStatus' });
    expect(signalSetById('uci-room-occupancy').signals.map((s) => s.name)).toContain('s7_pir');
  });

  it('loads a user file', () => {
    const set = loadSignalSetFile(FIXTURE);
    expect(set.id).toBe('co2-pir-sound');
    expect(set.signals.map((s) => s.name)).toEqual(['co2', 'pir', 'sound_north', 'sound_south']);
  });

  it.each([
    [{ ...base(), id: 'My Fleet' }, 'id'],
    [{ ...base(), signals: [{ ...base().signals[0], name: 'CO2' }] }, 'signals.0.name'],
    [{ ...base(), signals: [{ ...base().signals[0], min: 10, max: 10 }] }, 'signals.0.max'],
    [{ ...base(), signals: [{ ...base().signals[0], crossingLevel: 9000 }] }, 'signals.0.crossingLevel'],
    [{ ...base(), signals: [base().signals[1], { name: 'x', kind: 'enum', values: ['A', 'A'] }] }, 'signals.1.values'],
    [{ ...base(), signals: [{ name: 'x', kind: 'enum', values: [] }] }, 'signals.0.values'],
    [{ ...base(), signals: [base().signals[0], base().signals[0]] }, 'signals.1.name'],
    [{ ...base(), staticRule: { signal: 'mode', level: 1 } }, 'staticRule.signal'],
    [{ ...base(), staticRule: { signal: 'nope', level: 1 } }, 'staticRule.signal'],
    [{ ...base(), signals: [] }, 'signals'],
    [{ ...base(), description: undefined }, 'description'],
  ])('rejects bad document #%# naming the field', (doc, field) => {
    const err = errorOf(doc);
    expect(err.field).toBe(field);
    expect(err.source).toBe('fleet.json');
    expect(err.message).toContain('fleet.json');
    expect(err.message).toContain(field);
  });

  it('names the file for unreadable or malformed files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigset-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    expect(() => loadSignalSetFile(bad)).toThrow(SignalSetError);
    expect(() => loadSignalSetFile(bad)).toThrow(bad);
    expect(() => loadSignalSetFile(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read/);
  });
});

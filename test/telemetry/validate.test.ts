import { TelemetryValidationError } from '../../telemetry/errors';
import { THERMOSTAT, UCI_OCCUPANCY, UCI_ROOM_OCCUPANCY } from '../../telemetry/signals';
import {
  parseLabelEvent,
  parseLabelEventPayload,
  parseReading,
  parseReadingPayload,
  toWireReport,
} from '../../telemetry/validate';

const NOW = Date.UTC(2026, 0, 10, 12);
const VALID = {
  thingName: 'room-01',
  timestamp: Date.UTC(2026, 0, 5, 10),
  temperature: 21.5,
  humidity: 38.2,
  sound: 12.5,
  hvacStatus: 'HEATING',
};
const without = (key: keyof typeof VALID): Record<string, unknown> => {
  const copy: Record<string, unknown> = { ...VALID };
  delete copy[key];
  return copy;
};
const withValue = (key: string, value: unknown): Record<string, unknown> => ({ ...VALID, [key]: value });

type Code = TelemetryValidationError['code'];
/** Marks a raw payload (MQTT body) as opposed to an already-parsed value. */
class Payload {
  constructor(readonly bytes: string | Uint8Array) {}
}
const payload = (bytes: string | Uint8Array): Payload => new Payload(bytes);
/** [description, input (parsed value, or a raw Payload), expected field, expected code] */
const MALFORMED: ReadonlyArray<readonly [string, unknown, string, Code]> = [
  // Whole payload
  ['null', null, '$', 'wrong_type'],
  ['array', [VALID], '$', 'wrong_type'],
  ['number', 42, '$', 'wrong_type'],
  ['string', 'room-01', '$', 'wrong_type'],
  ['boolean', true, '$', 'wrong_type'],
  ['undefined', undefined, '$', 'wrong_type'],
  ['invalid JSON payload', payload('{"thingName": "room-01",'), '$', 'invalid_json'],
  ['empty payload', payload(''), '$', 'invalid_json'],
  ['non-JSON text payload', payload('temperature=21'), '$', 'invalid_json'],
  ['JSON null payload', payload('null'), '$', 'wrong_type'],
  ['JSON array payload', payload('[1,2,3]'), '$', 'wrong_type'],
  ['JSON string payload', payload('"hello"'), '$', 'wrong_type'],
  ['1 MB payload', payload(JSON.stringify({ ...VALID, padding: 'x'.repeat(1024 * 1024) })), '$', 'oversized'],
  ['9 KB binary payload', payload(new Uint8Array(9 * 1024).fill(32)), '$', 'oversized'],
  ['invalid UTF-8 payload', payload(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), '$', 'invalid_json'],
  // thingName
  ['missing thingName', without('thingName'), 'thingName', 'missing'],
  ['empty thingName', withValue('thingName', ''), 'thingName', 'invalid_format'],
  ['129-char thingName', withValue('thingName', 'r'.repeat(129)), 'thingName', 'invalid_format'],
  ['thingName with space', withValue('thingName', 'room 01'), 'thingName', 'invalid_format'],
  ['thingName with slash', withValue('thingName', 'room/01'), 'thingName', 'invalid_format'],
  ['thingName with wildcard', withValue('thingName', 'room-+'), 'thingName', 'invalid_format'],
  ['thingName number', withValue('thingName', 1), 'thingName', 'wrong_type'],
  ['thingName null', withValue('thingName', null), 'thingName', 'wrong_type'],
  ['thingName array', withValue('thingName', ['room-01']), 'thingName', 'wrong_type'],
  // timestamp
  ['missing timestamp', without('timestamp'), 'timestamp', 'missing'],
  ['timestamp NaN', withValue('timestamp', Number.NaN), 'timestamp', 'not_finite'],
  ['timestamp Infinity', withValue('timestamp', Number.POSITIVE_INFINITY), 'timestamp', 'not_finite'],
  // The wire format's time is an integer of epoch ms (telemetry/wire.ts): the IoT rules pass nothing else.
  ['timestamp ISO-8601', withValue('timestamp', '2026-01-05T10:00:00Z'), 'timestamp', 'wrong_type'],
  ['timestamp free text', withValue('timestamp', 'yesterday'), 'timestamp', 'wrong_type'],
  ['timestamp numeric string', withValue('timestamp', '1767607200000'), 'timestamp', 'wrong_type'],
  ['timestamp with a fraction of a ms', withValue('timestamp', NOW - 0.5), 'timestamp', 'invalid_format'],
  ['timestamp in epoch seconds', withValue('timestamp', 1767607200), 'timestamp', 'out_of_range'],
  ['timestamp before 2000', withValue('timestamp', Date.UTC(1999, 11, 31)), 'timestamp', 'out_of_range'],
  ['timestamp two days ahead', withValue('timestamp', NOW + 2 * 86_400_000), 'timestamp', 'out_of_range'],
  ['timestamp boolean', withValue('timestamp', true), 'timestamp', 'wrong_type'],
  ['timestamp null', withValue('timestamp', null), 'timestamp', 'wrong_type'],
  ['timestamp object', withValue('timestamp', { ms: 1 }), 'timestamp', 'wrong_type'],
  // temperature
  ['missing temperature', without('temperature'), 'temperature', 'missing'],
  ['temperature NaN', withValue('temperature', Number.NaN), 'temperature', 'not_finite'],
  ['temperature -Infinity', withValue('temperature', Number.NEGATIVE_INFINITY), 'temperature', 'not_finite'],
  ['temperature numeric string', withValue('temperature', '21.5'), 'temperature', 'wrong_type'],
  ['temperature text', withValue('temperature', 'warm'), 'temperature', 'wrong_type'],
  ['temperature boolean', withValue('temperature', false), 'temperature', 'wrong_type'],
  ['temperature null', withValue('temperature', null), 'temperature', 'wrong_type'],
  ['temperature array', withValue('temperature', [21.5]), 'temperature', 'wrong_type'],
  ['temperature 1000 °C', withValue('temperature', 1000), 'temperature', 'out_of_range'],
  ['temperature -273 °C', withValue('temperature', -273), 'temperature', 'out_of_range'],
  // humidity
  ['missing humidity', without('humidity'), 'humidity', 'missing'],
  ['negative humidity', withValue('humidity', -0.1), 'humidity', 'out_of_range'],
  ['humidity over 100', withValue('humidity', 100.5), 'humidity', 'out_of_range'],
  ['humidity NaN', withValue('humidity', Number.NaN), 'humidity', 'not_finite'],
  ['humidity string', withValue('humidity', '40%'), 'humidity', 'wrong_type'],
  ['humidity object', withValue('humidity', { value: 40 }), 'humidity', 'wrong_type'],
  // sound
  ['missing sound', without('sound'), 'sound', 'missing'],
  ['sound huge number', withValue('sound', 1e308), 'sound', 'out_of_range'],
  ['sound negative', withValue('sound', -5), 'sound', 'out_of_range'],
  ['sound Infinity', withValue('sound', Number.POSITIVE_INFINITY), 'sound', 'not_finite'],
  ['sound numeric string', withValue('sound', '12'), 'sound', 'wrong_type'],
  ['sound boolean', withValue('sound', true), 'sound', 'wrong_type'],
  ['sound null', withValue('sound', null), 'sound', 'wrong_type'],
  // hvacStatus
  ['missing hvacStatus', without('hvacStatus'), 'hvacStatus', 'missing'],
  ['unknown hvacStatus', withValue('hvacStatus', 'DEFROST'), 'hvacStatus', 'unknown_enum'],
  ['lower-case hvacStatus', withValue('hvacStatus', 'heating'), 'hvacStatus', 'unknown_enum'],
  ['empty hvacStatus', withValue('hvacStatus', ''), 'hvacStatus', 'unknown_enum'],
  ['hvacStatus number', withValue('hvacStatus', 1), 'hvacStatus', 'wrong_type'],
  ['hvacStatus null', withValue('hvacStatus', null), 'hvacStatus', 'wrong_type'],
  ['hvacStatus by lake name only', { ...without('hvacStatus'), hvac_status: 'OFF' }, 'hvacStatus', 'missing'],
  // Several faults: the first field in wire order is reported, all are listed
  ['timestamp and sound bad', { ...VALID, timestamp: 'soon', sound: Number.NaN }, 'timestamp', 'wrong_type'],
  ['JSON payload with out-of-range sound', payload(JSON.stringify(withValue('sound', 1e308))), 'sound', 'out_of_range'],
];

function validationErrorOf(input: unknown): TelemetryValidationError {
  try {
    if (input instanceof Payload) parseReadingPayload(input.bytes, THERMOSTAT, { now: NOW });
    else parseReading(input, THERMOSTAT, { now: NOW });
  } catch (error) {
    if (error instanceof TelemetryValidationError) return error;
    throw new Error(`expected TelemetryValidationError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the report to be rejected, but it was accepted');
}

describe('parseReading rejects malformed reports with a typed error naming the field', () => {
  it('covers at least 50 distinct malformed reports', () => {
    expect(MALFORMED.length).toBeGreaterThanOrEqual(50);
    expect(new Set(MALFORMED.map(([name]) => name)).size).toBe(MALFORMED.length);
  });

  const cases = MALFORMED.map(([name, input, field, code]) => [name, field, code, input] as const);
  it.each(cases)('%s → %s/%s', (_name, field, code, input) => {
    const error = validationErrorOf(input);
    expect(error).toBeInstanceOf(TelemetryValidationError);
    expect({ field: error.field, code: error.code }).toEqual({ field, code });
    expect(error.message.startsWith(`${field}:`)).toBe(true);
    expect(error.issues[0]).toMatchObject({ field, code });
  });

  it('reports every faulty field, first field in wire order', () => {
    const error = validationErrorOf({ ...VALID, temperature: 'hot', humidity: -3, sound: 1e308, hvacStatus: 'X' });
    expect(error.issues.map((i) => [i.field, i.code])).toEqual([
      ['temperature', 'wrong_type'],
      ['humidity', 'out_of_range'],
      ['sound', 'out_of_range'],
      ['hvacStatus', 'unknown_enum'],
    ]);
    expect(error.field).toBe('temperature');
    expect(error.message).toContain('sound: out of physical range [0, 200], got 1e+308');
  });

  it('checks payload size before parsing JSON', () => {
    // Not even JSON: the size limit must win over the parse error.
    const error = validationErrorOf(payload('{'.repeat(10_000)));
    expect(error.code).toBe('oversized');
    expect(() => parseReadingPayload(JSON.stringify(VALID), THERMOSTAT, { now: NOW, maxBytes: 20 })).toThrow(
      expect.objectContaining({ code: 'oversized' }),
    );
  });

  it('wraps JSON syntax errors with a cause', () => {
    const error = validationErrorOf(payload('{"a":'));
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

describe('parseReading accepts valid reports', () => {
  it('reads the thermostat wire format into lake signal names, ignoring unknown keys', () => {
    const reading = parseReading({ ...VALID, firmware: '1.2.3', battery: 97 }, THERMOSTAT, { now: NOW });
    expect(reading).toEqual({
      thingName: 'room-01',
      ts: VALID.timestamp,
      values: { temperature: 21.5, humidity: 38.2, sound: 12.5, hvac_status: 'HEATING' },
    });
  });

  it('accepts boundary values and the longest thing name', () => {
    const name = `a:${'b_-'.repeat(42)}`;
    expect(name.length).toBe(128);
    const reading = parseReading(
      { ...VALID, thingName: name, timestamp: Date.UTC(2026, 0, 5, 10), temperature: -40, humidity: 100, sound: 0 },
      THERMOSTAT,
      { now: NOW },
    );
    expect(reading.ts).toBe(Date.UTC(2026, 0, 5, 10));
    expect(reading.values).toMatchObject({ temperature: -40, humidity: 100, sound: 0 });
    expect(reading.thingName).toBe(name);
  });

  it('accepts a Uint8Array payload and round-trips through toWireReport', () => {
    const reading = parseReading(VALID, THERMOSTAT, { now: NOW });
    const payload = new TextEncoder().encode(JSON.stringify(toWireReport(reading, THERMOSTAT)));
    expect(parseReadingPayload(payload, THERMOSTAT, { now: NOW })).toEqual(reading);
  });

  it('validates the UCI Occupancy signal set', () => {
    const report = {
      thingName: 'uci-office',
      timestamp: Date.UTC(2015, 1, 4, 17, 51),
      temperature: 23.18,
      humidity: 27.272,
      light: 426,
      co2: 721.25,
      humidity_ratio: 0.0047929,
    };
    expect(parseReading(report, UCI_OCCUPANCY, { now: NOW }).values).toEqual({
      temperature: 23.18,
      humidity: 27.272,
      light: 426,
      co2: 721.25,
      humidity_ratio: 0.0047929,
    });
    expect(() => parseReading({ ...report, co2: -1 }, UCI_OCCUPANCY, { now: NOW })).toThrow(
      expect.objectContaining({ field: 'co2', code: 'out_of_range' }),
    );
  });

  it('validates the UCI Room Occupancy signal set', () => {
    const report: Record<string, unknown> = { thingName: 'uci-room', timestamp: Date.UTC(2017, 11, 22, 10, 49, 41) };
    for (const signal of UCI_ROOM_OCCUPANCY.signals) report[signal.name] = 0.5;
    report.s5_co2 = 390;
    report.s5_co2_slope = -0.46;
    const reading = parseReading(report, UCI_ROOM_OCCUPANCY, { now: NOW });
    expect(Object.keys(reading.values)).toHaveLength(UCI_ROOM_OCCUPANCY.signals.length);
    expect(reading.values.s5_co2_slope).toBe(-0.46);
    expect(() => parseReading({ ...report, s6_pir: 2 }, UCI_ROOM_OCCUPANCY, { now: NOW })).toThrow(
      expect.objectContaining({ field: 's6_pir', code: 'out_of_range' }),
    );
  });
});

describe('parseLabelEvent', () => {
  const label = { thingName: 'room-02', timestamp: Date.UTC(2026, 0, 5, 9, 3, 27), occupied: true };

  it('reads a label event', () => {
    expect(parseLabelEvent(label, { now: NOW })).toEqual({
      thingName: 'room-02',
      ts: Date.UTC(2026, 0, 5, 9, 3, 27),
      occupied: true,
    });
    expect(parseLabelEventPayload(JSON.stringify({ ...label, occupied: false }), { now: NOW }).occupied).toBe(false);
  });

  it.each([
    ['occupied as 1', { ...label, occupied: 1 }, 'occupied', 'wrong_type'],
    ['occupied as "true"', { ...label, occupied: 'true' }, 'occupied', 'wrong_type'],
    ['occupied missing', { thingName: 'room-02', timestamp: label.timestamp }, 'occupied', 'missing'],
    ['timestamp in the future', { ...label, timestamp: NOW + 3 * 86_400_000 }, 'timestamp', 'out_of_range'],
    ['bad thing name', { ...label, thingName: 'room#2' }, 'thingName', 'invalid_format'],
  ] as const)('rejects %s', (_name, input, field, code) => {
    expect(() => parseLabelEvent(input, { now: NOW })).toThrow(expect.objectContaining({ field, code }));
  });
});

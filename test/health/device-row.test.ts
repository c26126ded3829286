import { HealthRowError, parseHealthRows } from '../../health/device-row';

describe('parseHealthRows', () => {
  const base = {
    thing_name: 'a',
    last_ts: '1000',
    last_good_ts: null,
    median_gap_ms: '60000.0',
    stuck_since_sound: '400',
    stuck_span_sound: '600',
    value_sound: '3.0',
    oor_last_ts: null,
    malformed_count: null,
  };

  it('reads Athena text cells: numbers, NULLs, runs only where the newest reading has them', () => {
    expect(
      parseHealthRows([{ ...base, stuck_since_humidity: null, stuck_span_humidity: null }], ['humidity', 'sound']),
    ).toEqual([
      {
        thingName: 'a',
        lastReading: 1000,
        lastGoodReading: null,
        medianGapMs: 60000,
        runs: [{ signal: 'sound', since: 400, spanMs: 600, value: 3 }],
        outOfRange: null,
        malformed: null,
      },
    ]);
  });

  it('names the column of a cell that is not a number, or missing where its group needs it', () => {
    expect(() => parseHealthRows([{ ...base, last_ts: 'soon' }], [])).toThrow(
      expect.objectContaining({ name: 'HealthRowError', field: 'last_ts' }),
    );
    expect(() => parseHealthRows([{ ...base, oor_last_ts: '5', oor_since: null }], [])).toThrow(HealthRowError);
    expect(() => parseHealthRows([{ ...base, thing_name: null }], [])).toThrow(/without thing_name/);
  });
});

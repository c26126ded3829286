import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildExportQuery,
  buildFeatureQuery,
  buildFeatureSpec,
  buildSplitPlanQuery,
  buildSplitQuery,
  buildTrainingWindowQuery,
  DUCKDB_ONLY_SYNTAX,
  type ExportQueryOptions,
  WINDOW_START_PLACEHOLDER,
} from '../../features';
import { flagRuleOf } from '../../health/flag-sql';
import { DEFAULT_PIPELINE_CONFIG } from '../../pipeline/config';
import { THERMOSTAT, UCI_OCCUPANCY, UCI_ROOM_OCCUPANCY } from '../../telemetry/signals';

/**
 * No Trino parser is installed, so the Athena SQL is checked two ways: golden queries, reviewed by
 * hand for Trino (Athena engine v3) validity, that the generator must reproduce exactly (so every
 * change to the SQL shows up in review), and a scan for DuckDB-only syntax. Regenerate after a
 * reviewed change with `UPDATE_GOLDEN=1 npx jest test/features/golden.test.ts`.
 */

const GOLDEN_DIR = join(__dirname, 'golden');
const fractions: ExportQueryOptions = {
  dialect: 'athena',
  telemetryTable: 'occupancy_lake.telemetry',
  labelsTable: 'occupancy_lake.labels',
  split: { kind: 'fractions', train: 0.7, validation: 0.15 },
};
const cutoffs: ExportQueryOptions = {
  dialect: 'athena',
  split: { kind: 'cutoffs', validationStart: Date.UTC(2024, 0, 8), holdoutStart: Date.UTC(2024, 0, 11) },
};
const planned: ExportQueryOptions = {
  dialect: 'athena',
  split: { kind: 'planned', train: 0.7, validation: 0.15, minPositives: 50, minNegatives: 50 },
};
/** As the state machine runs it: the window's first day filled in by States.Format. */
const windowedPlanned: ExportQueryOptions = {
  ...planned,
  telemetryTable: 'occupancy_lake.telemetry',
  labelsTable: 'occupancy_lake.labels',
  window: { startDay: WINDOW_START_PLACEHOLDER },
};
const windowedCutoffs: ExportQueryOptions = { ...cutoffs, window: { startDay: '2024-01-02' } };
/** As the state machine runs it by default: windowed, readings flagged by the sensor health rule left out. */
const flagged: ExportQueryOptions = {
  ...windowedPlanned,
  health: flagRuleOf(DEFAULT_PIPELINE_CONFIG.sensorHealth, THERMOSTAT),
  sensorFaultsTable: 'occupancy_lake.sensor_faults',
};
const thermostat = buildFeatureSpec(THERMOSTAT);
const uci = buildFeatureSpec(UCI_OCCUPANCY);

const GOLDEN: Record<string, string> = {
  'thermostat-features.athena.sql': buildFeatureQuery(thermostat, { dialect: 'athena' }),
  'thermostat-export.athena.sql': buildExportQuery(thermostat, fractions),
  'thermostat-train.athena.sql': buildSplitQuery(thermostat, fractions, 'train'),
  'uci-occupancy-export.athena.sql': buildExportQuery(uci, cutoffs),
  'uci-occupancy-holdout.athena.sql': buildSplitQuery(uci, cutoffs, 'holdout'),
  'thermostat-split-plan.athena.sql': buildSplitPlanQuery(thermostat, planned),
  'thermostat-planned-holdout.athena.sql': buildSplitQuery(thermostat, planned, 'holdout'),
  'training-window.athena.sql': buildTrainingWindowQuery({
    dialect: 'athena',
    labelsTable: 'occupancy_lake.labels',
    days: 30,
  }),
  'thermostat-windowed-split-plan.athena.sql': buildSplitPlanQuery(thermostat, windowedPlanned),
  'thermostat-windowed-train.athena.sql': buildSplitQuery(thermostat, windowedPlanned, 'train'),
  'uci-occupancy-windowed-export.athena.sql': buildExportQuery(uci, windowedCutoffs),
  'thermostat-flagged-split-plan.athena.sql': buildSplitPlanQuery(thermostat, flagged),
  'thermostat-flagged-train.athena.sql': buildSplitQuery(thermostat, flagged, 'train'),
};

describe('Athena (Trino) SQL', () => {
  test.each(Object.keys(GOLDEN))('%s equals the hand-reviewed golden query', (file) => {
    const path = join(GOLDEN_DIR, file);
    const generated = GOLDEN[file] ?? '';
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, generated);
    expect(existsSync(path)).toBe(true);
    expect(generated).toBe(readFileSync(path, 'utf8'));
  });

  const athenaQueries = [
    ...Object.entries(GOLDEN),
    ...[THERMOSTAT, UCI_OCCUPANCY, UCI_ROOM_OCCUPANCY].flatMap((set) => {
      const spec = buildFeatureSpec(set, { rollingWindow: 3 });
      return [
        [`${set.id} features`, buildFeatureQuery(spec, { dialect: 'athena' })],
        [`${set.id} validation split`, buildSplitQuery(spec, fractions, 'validation')],
        [`${set.id} export by cutoffs`, buildExportQuery(spec, cutoffs)],
        [`${set.id} split plan`, buildSplitPlanQuery(spec, planned)],
      ];
    }),
  ];

  test.each(athenaQueries)('%s contains no DuckDB-only syntax', (_name, sql) => {
    const found = DUCKDB_ONLY_SYNTAX.filter(({ pattern }) => pattern.test(sql)).map(({ label }) => label);
    expect(found).toEqual([]);
  });

  test.each(athenaQueries)(
    '%s is a States.Format template: no braces or backslash but the placeholder',
    (_name, sql) => {
      expect(sql.split(`'${WINDOW_START_PLACEHOLDER}'`).join('')).not.toMatch(/[{}\\]/);
    },
  );

  test('with the sensor health rule, the scans of sensor_faults keep the window too', () => {
    for (const sql of [buildSplitPlanQuery(thermostat, flagged), buildSplitQuery(thermostat, flagged, 'train')]) {
      const scans = sql.match(/FROM "occupancy_lake"\."(telemetry|labels|sensor_faults)"\n\s*WHERE [^\n]*/g) ?? [];
      expect(scans).toHaveLength(3);
      for (const scan of scans) expect(scan).toMatch(/ AND "dt" >= '\{\}'$/);
    }
  });

  test('the rule only counting (excludeFlagged false) leaves the split queries as they were without it', () => {
    expect(buildSplitQuery(thermostat, { ...flagged, excludeFlagged: false }, 'train')).toBe(
      buildSplitQuery(thermostat, windowedPlanned, 'train'),
    );
  });

  test('every scan of telemetry and labels of a windowed query keeps only the window', () => {
    for (const sql of [
      buildSplitPlanQuery(thermostat, windowedPlanned),
      buildSplitQuery(thermostat, windowedPlanned, 'train'),
    ]) {
      const scans = sql.match(/FROM "occupancy_lake"\."(telemetry|labels)"\n\s*WHERE [^\n]*/g) ?? [];
      expect(scans).toHaveLength(2);
      for (const scan of scans) expect(scan).toMatch(/ AND "dt" >= '\{\}'$/);
      expect(sql.match(/"occupancy_lake"\."(telemetry|labels)"/g)).toHaveLength(2);
    }
  });

  test('the syntax scan does catch DuckDB-only constructs', () => {
    const duckOnly = [
      'SELECT ts::DOUBLE FROM t',
      'SELECT ts // 1000 FROM t',
      'SELECT * FROM a ASOF JOIN b USING (thing_name, ts)',
      'SELECT * FROM t QUALIFY row_number() OVER () = 1',
      'SELECT * EXCLUDE (received_at) FROM t',
      'SELECT last_value(x IGNORE NULLS) OVER () FROM t',
      "SELECT * FROM read_json('x.ndjson')",
    ];
    for (const sql of duckOnly) expect(DUCKDB_ONLY_SYNTAX.some(({ pattern }) => pattern.test(sql))).toBe(true);
  });
});

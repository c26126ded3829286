import type { DuckDBConnection } from '@duckdb/node-api';
import type { LiveRow } from '../../monitoring/live-metrics';

/**
 * Answered readings and label events of two rooms over three one-hour windows that cross midnight UTC (two `dt`
 * partitions), plus rows outside the span the queries must leave out; a shadow variant answers some of the same
 * readings (same thing and ts twice). `expectedRows` is the label in force computed in plain TypeScript.
 */

export const WINDOW_MS = 3_600_000;
export const WINDOWS = 3;
/** 01:00 UTC: the span starts 22:00 the day before. */
export const END = Date.UTC(2024, 0, 10, 1, 0);
export const START = END - WINDOWS * WINDOW_MS;
export const RULE = { signal: 'sound', level: 10 } as const;

export interface PredictionRow {
  readonly thing_name: string;
  readonly ts: number;
  readonly model_version: string;
  readonly variant: string;
  readonly probability: number;
  readonly decision: 0 | 1;
  readonly source: 'model' | 'fallback';
  readonly sound: number | null;
  readonly temperature: number;
}

export interface LabelRow {
  readonly thingName: string;
  readonly ts: number;
  readonly occupied: boolean;
}

const MIN = 60_000;

export const LABELS: readonly LabelRow[] = [
  { thingName: 'room-1', ts: START - 30 * MIN, occupied: true },
  { thingName: 'room-1', ts: START + 70 * MIN, occupied: false },
  { thingName: 'room-1', ts: START + 130 * MIN, occupied: true },
  // Two events at one instant: occupied wins.
  { thingName: 'room-1', ts: START + 130 * MIN, occupied: false },
  { thingName: 'room-1', ts: END + 10 * MIN, occupied: false },
  // room-2: nothing before +20 min (unlabelled), nothing after +150 min (label not known yet).
  { thingName: 'room-2', ts: START + 20 * MIN, occupied: false },
  { thingName: 'room-2', ts: START + 90 * MIN, occupied: true },
  { thingName: 'room-2', ts: START + 150 * MIN, occupied: false },
];

/** Deterministic pseudo-random numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function truth(thing: string, ts: number): boolean {
  const events = LABELS.filter((l) => l.thingName === thing && l.ts <= ts).sort((a, b) => a.ts - b.ts);
  const last = events[events.length - 1];
  if (!last) return false;
  return events.some((e) => e.ts === last.ts && e.occupied);
}

/**
 * One reading a minute per room from 10 min before the span to 5 min after it; every 13th answer is the fallback's;
 * the shadow model v2 answers every 4th reading too. `soundShift` adds to every sound value in the newest window.
 */
export function predictionRows(soundShift = 0): PredictionRow[] {
  const random = lcg(21);
  const rows: PredictionRow[] = [];
  let n = 0;
  for (const thing of ['room-1', 'room-2']) {
    for (let ts = START - 10 * MIN; ts < END + 5 * MIN; ts += MIN) {
      n++;
      const occupied = truth(thing, ts);
      const newest = ts >= END - WINDOW_MS && ts < END;
      const sound = n % 29 === 0 ? null : (occupied ? 14 : 6) + (random() - 0.5) * 12 + (newest ? soundShift : 0);
      const temperature = 20 + random() * 3;
      const p = Math.min(1, Math.max(0, (occupied ? 0.75 : 0.25) + (random() - 0.5) * 0.8));
      const fallback = n % 13 === 0;
      const ruleSays = sound !== null && sound > RULE.level;
      rows.push({
        thing_name: thing,
        ts,
        // The fallback's answers are the rule's, of no variant (tasks/infer-occupancy/prediction-record.ts).
        model_version: fallback ? `threshold:${RULE.signal}>${RULE.level}` : 'v1',
        variant: fallback ? '' : 'AllTraffic',
        probability: fallback ? (ruleSays ? 1 : 0) : p,
        decision: (fallback ? ruleSays : p > 0.5) ? 1 : 0,
        source: fallback ? 'fallback' : 'model',
        sound,
        temperature,
      });
      if (n % 4 === 0) {
        rows.push({
          thing_name: thing,
          ts,
          model_version: 'v2',
          variant: 'shadow',
          probability: occupied ? 0.9 : 0.1,
          decision: occupied ? 1 : 0,
          source: 'model',
          sound,
          temperature,
        });
      }
    }
  }
  return rows;
}

/** The rows in the span with the label in force (null before the room's first label or after its last). */
export function expectedRows(rows: readonly PredictionRow[]): LiveRow[] {
  return rows
    .filter((r) => r.ts >= START && r.ts < END)
    .map((r) => {
      const events = LABELS.filter((l) => l.thingName === r.thing_name);
      const known = events.some((l) => l.ts <= r.ts) && events.some((l) => l.ts >= r.ts);
      return {
        windowIndex: Math.floor((END - 1 - r.ts) / WINDOW_MS),
        modelVersion: r.model_version,
        variant: r.variant,
        source: r.source,
        decision: r.decision,
        probability: r.probability,
        label: known ? (truth(r.thing_name, r.ts) ? 1 : 0) : null,
        ruleDecision: r.sound !== null && r.sound > RULE.level ? 1 : 0,
      };
    });
}

const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
const lit = (v: string | number | null): string =>
  v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`;

/** Creates `predictions` as the lake's view lays it out (features as f_<name>, `dt`) on `connection`. */
export async function createPredictionsTable(connection: DuckDBConnection, rows: readonly PredictionRow[]) {
  await connection.run(`CREATE OR REPLACE TABLE predictions (
    thing_name VARCHAR, ts BIGINT, dt VARCHAR, model_version VARCHAR, variant VARCHAR, probability DOUBLE,
    decision INTEGER, source VARCHAR, f_sound DOUBLE, f_temperature DOUBLE)`);
  const values = rows.map(
    (r) =>
      `(${[r.thing_name, r.ts, day(r.ts), r.model_version, r.variant, r.probability, r.decision, r.source, r.sound, r.temperature].map(lit).join(', ')})`,
  );
  await connection.run(`INSERT INTO predictions VALUES ${values.join(',\n')}`);
}

/** Creates `labels` as the lake lays it out (thing_name, ts, occupied, dt). */
export async function createLabelsTable(connection: DuckDBConnection, labels: readonly LabelRow[] = LABELS) {
  await connection.run('CREATE OR REPLACE TABLE labels (thing_name VARCHAR, ts BIGINT, occupied BOOLEAN, dt VARCHAR)');
  const values = labels.map((l) => `(${lit(l.thingName)}, ${l.ts}, ${l.occupied}, ${lit(day(l.ts))})`);
  await connection.run(`INSERT INTO labels VALUES ${values.join(',\n')}`);
}

/** A SELECT's rows as the LakeQuery port returns them: every cell as text, NULL as null. */
export async function duckSelect(connection: DuckDBConnection, sql: string): Promise<Record<string, string | null>[]> {
  const reader = await connection.runAndReadAll(sql);
  const names = reader.columnNames();
  return reader
    .getRows()
    .map((row) =>
      Object.fromEntries(names.map((n, i) => [n, row[i] === null || row[i] === undefined ? null : String(row[i])])),
    );
}

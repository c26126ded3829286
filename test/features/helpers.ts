import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { mulberry32 } from '../../telemetry/random';
import type { LabelEvent, Reading } from '../../telemetry/reading';
import type { SignalSet } from '../../telemetry/signals';

/** A reading as the lake stores it: with the time it was received, so duplicates can be resolved. */
export interface LakeRecord {
  readonly reading: Reading;
  readonly receivedAt: number;
}

/** Deterministic PRNG (mulberry32): the same seed gives the same fleet on every machine. */
export const seededRandom = mulberry32;

export interface GeneratorOptions {
  readonly devices: number;
  readonly readingsPerDevice: number;
  readonly seed: number;
  /** Share of readings delivered twice (same ts, other values, other received_at). */
  readonly duplicateRate: number;
  /** Start time, epoch ms. */
  readonly start: number;
}

/**
 * A fleet's telemetry for any signal set: random walks around each signal's crossing level (so the
 * crossing feature fires often) with irregular intervals, occasional long gaps (hours to days),
 * duplicated timestamps and shuffled arrival order.
 */
export function generateTelemetry(set: SignalSet, options: GeneratorOptions): LakeRecord[] {
  const random = seededRandom(options.seed);
  const records: LakeRecord[] = [];
  for (let d = 0; d < options.devices; d++) {
    const thingName = `room-${String(d).padStart(2, '0')}`;
    let ts = options.start + Math.floor(random() * 3_600_000);
    const state = new Map<string, number>();
    const coarse = d % 2 === 1;
    for (const signal of set.signals) {
      if (signal.kind === 'numeric') state.set(signal.name, signal.crossingLevel ?? (signal.min + signal.max) / 2);
    }
    const sample = (): Record<string, number | string> => {
      const values: Record<string, number | string> = {};
      for (const signal of set.signals) {
        if (signal.kind === 'enum') {
          values[signal.name] = signal.values[Math.floor(random() * signal.values.length)] ?? '';
          continue;
        }
        const span = signal.max - signal.min;
        const centre = signal.crossingLevel ?? (signal.min + signal.max) / 2;
        const previous = state.get(signal.name) ?? centre;
        // Mean-reverting walk: stays near the crossing level, so it crosses it often.
        const next = previous + (centre - previous) * 0.2 + (random() - 0.5) * span * 0.02;
        const clamped = Math.min(signal.max, Math.max(signal.min, next));
        state.set(signal.name, clamped);
        // Some devices report coarse values: exact hits on the crossing level, constant windows (std 0).
        const reported = coarse ? Math.round(clamped / (span / 2000)) * (span / 2000) : clamped;
        values[signal.name] = signal.crossingLevel !== undefined && random() < 0.03 ? signal.crossingLevel : reported;
      }
      return values;
    };
    for (let i = 0; i < options.readingsPerDevice; i++) {
      const gap = random();
      ts +=
        gap < 0.01
          ? Math.floor(random() * 3 * 86_400_000) // device offline for up to 3 days
          : 1 + Math.floor(random() * 300_000);
      const receivedAt = ts + Math.floor(random() * 5_000);
      records.push({ reading: { thingName, ts, values: sample() }, receivedAt });
      if (random() < options.duplicateRate) {
        // A redelivery with other values, received earlier or later than the first copy.
        const shift = random() < 0.5 ? -1 - Math.floor(random() * 1000) : 1 + Math.floor(random() * 1000);
        records.push({ reading: { thingName, ts, values: sample() }, receivedAt: receivedAt + shift });
      }
    }
  }
  // Out-of-order arrival: Fisher-Yates shuffle.
  for (let i = records.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = records[i];
    const b = records[j];
    if (a && b) {
      records[i] = b;
      records[j] = a;
    }
  }
  return records;
}

/** Each device's stream as the evaluator sees it: one reading per ts (latest received wins), ascending. */
export function dedupedStreams(records: readonly LakeRecord[]): Map<string, Reading[]> {
  const latest = new Map<string, LakeRecord>();
  for (const record of records) {
    const key = `${record.reading.thingName}\u0000${record.reading.ts}`;
    const kept = latest.get(key);
    if (!kept || record.receivedAt > kept.receivedAt) latest.set(key, record);
  }
  const streams = new Map<string, Reading[]>();
  for (const { reading } of latest.values()) {
    const stream = streams.get(reading.thingName) ?? [];
    stream.push(reading);
    streams.set(reading.thingName, stream);
  }
  for (const stream of streams.values()) stream.sort((x, y) => x.ts - y.ts);
  return new Map([...streams.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export async function memoryDuckDb(): Promise<{ connection: DuckDBConnection; close: () => void }> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await instance.connect();
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Creates `telemetry` with the lake's columns (as the Glue table) and appends the records. */
export async function loadTelemetry(
  connection: DuckDBConnection,
  set: SignalSet,
  records: readonly LakeRecord[],
  table = 'telemetry',
): Promise<void> {
  const columns = set.signals.map((s) => `"${s.name}" ${s.kind === 'numeric' ? 'DOUBLE' : 'VARCHAR'}`);
  await connection.run(
    `CREATE TABLE "${table}" (thing_name VARCHAR, ts BIGINT, received_at BIGINT, ${columns.join(', ')})`,
  );
  const appender = await connection.createAppender(table);
  for (const { reading, receivedAt } of records) {
    appender.appendVarchar(reading.thingName);
    appender.appendBigInt(BigInt(reading.ts));
    appender.appendBigInt(BigInt(receivedAt));
    for (const signal of set.signals) {
      const value = reading.values[signal.name];
      if (signal.kind === 'numeric' && typeof value === 'number') appender.appendDouble(value);
      else if (signal.kind === 'enum' && typeof value === 'string') appender.appendVarchar(value);
      else appender.appendNull();
    }
    appender.endRow();
  }
  appender.closeSync();
}

export async function loadLabels(connection: DuckDBConnection, labels: readonly LabelEvent[]): Promise<void> {
  await connection.run('CREATE TABLE labels (thing_name VARCHAR, ts BIGINT, occupied BOOLEAN)');
  const appender = await connection.createAppender('labels');
  for (const label of labels) {
    appender.appendVarchar(label.thingName);
    appender.appendBigInt(BigInt(label.ts));
    appender.appendBoolean(label.occupied);
    appender.endRow();
  }
  appender.closeSync();
}

/** Rows of a query as plain objects with BIGINTs turned into numbers. */
export async function queryRows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader
    .getRowObjects()
    .map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v] as const)),
    );
}

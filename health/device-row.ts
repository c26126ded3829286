/**
 * One device's state as the health query (health/query.ts) answers it, parsed from the lake's text cells (Athena's
 * GetQueryResults gives every cell as text, NULL as absent). What health/classify.ts judges.
 */
import { stuckColumns } from './query';

/** A numeric signal's current run at the device's newest reading. */
export interface SignalRun {
  readonly signal: string;
  /** First ts of the run of one value the newest reading belongs to. */
  readonly since: number;
  /** Its length (ms): newest reading − since. */
  readonly spanMs: number;
  /** The value held; null when the newest reading has none for the signal. */
  readonly value: number | null;
}

export interface DeviceHealthRow {
  readonly thingName: string;
  /** Newest reading at or before the check (epoch ms); null: only refusals in the lookback. */
  readonly lastReading: number | null;
  /** Newest reading flagged neither stuck nor out of range; null: none. */
  readonly lastGoodReading: number | null;
  /** Median gap between the device's consecutive readings (ms); null: fewer than two readings. */
  readonly medianGapMs: number | null;
  /** One per numeric signal with a value at the newest reading. */
  readonly runs: readonly SignalRun[];
  /** The device's out-of-range refusals; null: none. */
  readonly outOfRange: {
    /** Newest refusal (epoch ms) and the first of its streak (refusals less than the clear time apart). */
    readonly last: number;
    readonly since: number;
    readonly count: number;
    readonly field: string;
  } | null;
  /** Malformed refusals within malformedWindowMinutes before the check, by when refused (epoch ms); null: none. */
  readonly malformed: {
    readonly count: number;
    readonly first: number;
    readonly last: number;
    /** The most frequent cause. */
    readonly field: string;
    readonly code: string;
  } | null;
}

export class HealthRowError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'HealthRowError';
  }
}

type Cells = Readonly<Record<string, string | null>>;

function num(row: Cells, column: string): number | null {
  const cell = row[column];
  if (cell === null || cell === undefined || cell === '') return null;
  const value = Number(cell);
  if (!Number.isFinite(value)) {
    throw new HealthRowError(`health query column ${column} is not a number: "${cell}"`, column);
  }
  return value;
}

function required(row: Cells, column: string): number {
  const value = num(row, column);
  if (value === null) throw new HealthRowError(`health query column ${column} is missing`, column);
  return value;
}

/** The query's rows (cells by column name) as DeviceHealthRows; `signals`: the set's numeric signal names. */
export function parseHealthRows(rows: readonly Cells[], signals: readonly string[]): DeviceHealthRow[] {
  return rows.map((row) => {
    const thingName = row.thing_name;
    if (!thingName) throw new HealthRowError('health query row without thing_name', 'thing_name');
    const runs: SignalRun[] = [];
    for (const signal of signals) {
      const c = stuckColumns(signal);
      const since = num(row, c.since);
      const spanMs = num(row, c.span);
      if (since === null || spanMs === null) continue;
      runs.push({ signal, since, spanMs, value: num(row, c.value) });
    }
    const oorLast = num(row, 'oor_last_ts');
    const malformedCount = num(row, 'malformed_count');
    return {
      thingName,
      lastReading: num(row, 'last_ts'),
      lastGoodReading: num(row, 'last_good_ts'),
      medianGapMs: num(row, 'median_gap_ms'),
      runs,
      outOfRange:
        oorLast === null
          ? null
          : {
              last: oorLast,
              since: required(row, 'oor_since'),
              count: required(row, 'oor_count'),
              field: row.oor_field ?? '',
            },
      malformed:
        malformedCount === null || malformedCount === 0
          ? null
          : {
              count: malformedCount,
              first: required(row, 'malformed_since'),
              last: required(row, 'malformed_last'),
              field: row.malformed_field ?? '',
              code: row.malformed_code ?? '',
            },
    };
  });
}

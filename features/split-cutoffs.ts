import { type SqlDialectName, sqlDialect } from './dialect';
import { SPLIT_PLAN_COLUMNS } from './split-plan';
import { type SplitOptions, splitParts } from './sql';

export interface SplitCutoffsQueryOptions {
  readonly dialect: SqlDialectName;
  /** A table of labelled rows with at least `ts` and `occupied` (0/1), e.g. of buildLabelledQuery. */
  readonly labelledTable: string;
}

/**
 * One row: where a split cuts a table of labelled rows, so the rows can be split with plain range predicates (ts <
 * validation_start → train, ts < holdout_start → validation, else holdout) instead of a query per split.
 * - planned: the split plan's row, SPLIT_PLAN_COLUMNS (status, message, cutoffs with -1 for none, counts).
 * - fractions, cutoffs: `validation_start`, `holdout_start` (BIGINT epoch ms; NULL: no row reaches that split, so
 *   every row before it is train, resp. validation).
 */
export function buildSplitCutoffsQuery(split: SplitOptions, options: SplitCutoffsQueryOptions): string {
  const d = sqlDialect(options.dialect);
  const table = d.tableReference(options.labelledTable, 'labelledTable');
  const parts = splitParts(split, d, true);
  if (split.kind === 'cutoffs') {
    return `SELECT ${d.bigintLiteral(split.validationStart)} AS "validation_start", ${d.bigintLiteral(split.holdoutStart)} AS "holdout_start"\n`;
  }
  const columns =
    split.kind === 'planned'
      ? SPLIT_PLAN_COLUMNS.map((c) => `  "${c}"`).join(',\n')
      : '  "_validation_start" AS "validation_start",\n  "_holdout_start" AS "holdout_start"';
  return `WITH
labelled AS (
  SELECT "ts", "occupied"
  FROM ${table}
),
${parts.ctes.join(',\n')}
SELECT
${columns}
FROM ${split.kind === 'planned' ? 'split_plan' : 'plan_cuts'}
`;
}

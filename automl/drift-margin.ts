/**
 * How much better on validation a candidate reading drifting features must be than the best without any, for the
 * selection to accept drifting features (in a single candidate or in the ensemble's members).
 */
export const DRIFT_MARGIN = 0.02;

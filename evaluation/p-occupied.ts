/**
 * P(occupied) from an Autopilot inference container's text/csv answer: the one place that turns what the
 * container says into the probability every consumer uses (batch-transform scoring and evaluation, the
 * inference Lambda, the console). Pure and dependency-free: the Lambda bundles it.
 *
 * Autopilot's `probability` key means P(True) for HPO models but P(predicted label) for ensembling models, and
 * a tuned decision threshold makes "predicted 0 with probability 0.6" legal for either: it cannot be read
 * without knowing the mode. So we never ask for it. We ask for `probabilities` and `labels` (one probability
 * per label, and the labels in the same order), which mean the same thing in both modes.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/autopilot-automate-model-development-container-output.html
 */

/** What the last container answers, in this order: `1,"[0.1, 0.9]","['0', '1']"` (lists as quoted fields). */
export const INFERENCE_RESPONSE_KEYS = ['predicted_label', 'probabilities', 'labels'] as const;
export type InferenceResponseKey = (typeof INFERENCE_RESPONSE_KEYS)[number];
/** The value of SAGEMAKER_INFERENCE_OUTPUT that asks for INFERENCE_RESPONSE_KEYS. */
export const INFERENCE_OUTPUT = INFERENCE_RESPONSE_KEYS.join(',');

export interface OccupancyScore {
  /** The container's predicted_label as 0/1. */
  readonly predicted: 0 | 1;
  /** Probability of the label that means "occupied". */
  readonly pOccupied: number;
}

/** Either the score or why the line is not an answer to INFERENCE_RESPONSE_KEYS. */
export type ReadResult =
  | { readonly ok: true; readonly score: OccupancyScore }
  | { readonly ok: false; readonly reason: string };

const OCCUPIED = new Set(['1', '1.0', 'true', 'True', 'TRUE']);
const EMPTY = new Set(['0', '0.0', 'false', 'False', 'FALSE']);
/** Autopilot rounds nothing, but float sums drift: anything further from 1 is not a probability vector. */
const SUM_TOLERANCE = 1e-3;

const fail = (reason: string): ReadResult => ({ ok: false, reason });

/** One CSV record's fields (RFC 4180 quoting: `"a,b"`, `""` for a quote). Undefined when a quote is unclosed. */
export function csvFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const close = line.indexOf('"', j);
        if (close === -1) return undefined;
        value += line.slice(j, close);
        if (line.charCodeAt(close + 1) === 34) {
          value += '"';
          j = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      fields.push(value);
      if (i >= line.length) return fields;
      if (line.charCodeAt(i) !== 44 /* , */) return undefined;
      i++;
    } else {
      const comma = line.indexOf(',', i);
      if (comma === -1) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** `[0.1, 0.9]` or `['0', '1']` (Python's list repr, as the container writes it) → the trimmed, unquoted items. */
function listItems(text: string): string[] | undefined {
  const t = text.trim();
  if (t.charCodeAt(0) !== 91 /* [ */ || t.charCodeAt(t.length - 1) !== 93 /* ] */) return undefined;
  const items = t.slice(1, -1).split(',');
  for (let i = 0; i < items.length; i++) {
    const item = (items[i] ?? '').trim();
    const quote = item.charCodeAt(0);
    const quoted = item.length >= 2 && (quote === 39 || quote === 34) && item.charCodeAt(item.length - 1) === quote;
    items[i] = quoted ? item.slice(1, -1) : item;
  }
  return items;
}

const labelOf = (text: string): 0 | 1 | undefined => (OCCUPIED.has(text) ? 1 : EMPTY.has(text) ? 0 : undefined);

/** Reads one answer line (`predicted_label,probabilities,labels`) into the predicted label and P(occupied). */
export function readOccupancyScore(line: string): ReadResult {
  const fields = csvFields(line.endsWith('\r') ? line.slice(0, -1) : line);
  if (fields === undefined) return fail('a quoted field is not closed');
  if (fields.length !== INFERENCE_RESPONSE_KEYS.length) {
    return fail(`${fields.length} fields, expected ${INFERENCE_RESPONSE_KEYS.length} (${INFERENCE_OUTPUT})`);
  }
  const [labelText = '', probabilitiesText = '', labelsText = ''] = fields;
  const predicted = labelOf(labelText.trim());
  if (predicted === undefined) return fail(`predicted_label "${labelText}" is not a 0/1 label`);
  const probabilities = listItems(probabilitiesText);
  const labels = listItems(labelsText);
  if (probabilities === undefined) return fail(`probabilities "${probabilitiesText}" is not a list`);
  if (labels === undefined) return fail(`labels "${labelsText}" is not a list`);
  if (labels.length !== 2 || probabilities.length !== 2) {
    return fail(`expected 2 labels and 2 probabilities (binary), got ${labels.length} and ${probabilities.length}`);
  }
  const firstLabel = labelOf(labels[0] ?? '');
  if (firstLabel === undefined || labelOf(labels[1] ?? '') !== 1 - firstLabel) {
    return fail(`labels ${labelsText} are not one "occupied" (1/true) and one "empty" (0/false) label`);
  }
  const [p0Text = '', p1Text = ''] = probabilities;
  const p0 = p0Text === '' ? Number.NaN : Number(p0Text);
  const p1 = p1Text === '' ? Number.NaN : Number(p1Text);
  if (!(p0 >= 0 && p0 <= 1 && p1 >= 0 && p1 <= 1))
    return fail(`probabilities ${probabilitiesText} are not all in [0, 1]`);
  if (Math.abs(p0 + p1 - 1) > SUM_TOLERANCE) return fail(`probabilities ${probabilitiesText} do not sum to 1`);
  return { ok: true, score: { predicted, pOccupied: firstLabel === 1 ? p0 : p1 } };
}

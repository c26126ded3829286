/**
 * SageMaker data capture files: one JSON line per captured inference, under
 * `<DestinationS3Uri>/<endpoint-name>/<variant-name>/yyyy/mm/dd/hh/<file>.jsonl`, each line
 * `{"captureData":{"endpointInput":{observedContentType,mode:"INPUT",data,encoding},"endpointOutput":{…,mode:"OUTPUT"}},
 *   "eventMetadata":{"eventId","inferenceTime"[,"inferenceId"]},"eventVersion":"0"}`; `encoding` is CSV (or JSON) for a
 * content type listed in CaptureContentTypeHeader, BASE64 otherwise.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html ("View captured data")
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CaptureContentTypeHeader.html
 * Pure: the local endpoint host writes with it, the shadow comparison reads with it.
 */

export type CaptureEncoding = 'CSV' | 'JSON' | 'BASE64';

export interface CapturePayload {
  readonly observedContentType: string;
  readonly mode: 'INPUT' | 'OUTPUT';
  readonly data: string;
  readonly encoding: CaptureEncoding;
}

export interface CaptureLine {
  readonly captureData: { readonly endpointInput?: CapturePayload; readonly endpointOutput?: CapturePayload };
  readonly eventMetadata: { readonly eventId: string; readonly inferenceTime: string; readonly inferenceId?: string };
  readonly eventVersion: '0';
}

/** One captured inference, decoded. */
export interface CapturedInference {
  readonly eventId: string;
  readonly inferenceTimeMs: number;
  /** The request body as text (undefined when only the output was captured). */
  readonly input?: string;
  /** The response body as text (undefined when only the input was captured). */
  readonly output?: string;
}

export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message, { cause: { field } });
  }
}

const two = (n: number): string => String(n).padStart(2, '0');

/** The hour folder of a capture file: `<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/` (UTC). */
export function captureHourPrefix(destinationUri: string, endpoint: string, variant: string, timeMs: number): string {
  const t = new Date(timeMs);
  const base = destinationUri.replace(/\/+$/, '');
  return `${base}/${endpoint}/${variant}/${t.getUTCFullYear()}/${two(t.getUTCMonth() + 1)}/${two(t.getUTCDate())}/${two(t.getUTCHours())}/`;
}

/** Every hour folder that may hold captures of [startMs, endMs]. */
export function captureHourPrefixes(
  destinationUri: string,
  endpoint: string,
  variant: string,
  startMs: number,
  endMs: number,
): string[] {
  if (!(endMs >= startMs)) throw new CaptureFormatError(`end ${endMs} is before start ${startMs}`, 'endMs');
  const hour = 3_600_000;
  const out: string[] = [];
  for (let t = Math.floor(startMs / hour) * hour; t <= endMs; t += hour) {
    out.push(captureHourPrefix(destinationUri, endpoint, variant, t));
  }
  return out;
}

/** Whether a content type is captured as text (listed in CsvContentTypes / JsonContentTypes), else BASE64. */
export function encodingOf(contentType: string, csvTypes: readonly string[], jsonTypes: readonly string[]) {
  const bare = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (csvTypes.some((t) => t.toLowerCase() === bare)) return 'CSV';
  if (jsonTypes.some((t) => t.toLowerCase() === bare)) return 'JSON';
  return 'BASE64';
}

export function payload(
  mode: 'INPUT' | 'OUTPUT',
  contentType: string,
  body: string,
  encoding: CaptureEncoding,
): CapturePayload {
  const data = encoding === 'BASE64' ? Buffer.from(body, 'utf8').toString('base64') : body;
  return { observedContentType: contentType, mode, data, encoding };
}

/** One capture line (no trailing newline). */
export function captureLine(
  event: { readonly eventId: string; readonly inferenceTimeMs: number; readonly inferenceId?: string },
  input: CapturePayload | undefined,
  output: CapturePayload | undefined,
): string {
  const line: CaptureLine = {
    captureData: { ...(input ? { endpointInput: input } : {}), ...(output ? { endpointOutput: output } : {}) },
    eventMetadata: {
      eventId: event.eventId,
      // Seconds precision with a Z, as the documented samples show.
      inferenceTime: new Date(event.inferenceTimeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...(event.inferenceId === undefined ? {} : { inferenceId: event.inferenceId }),
    },
    eventVersion: '0',
  };
  return JSON.stringify(line);
}

function decode(p: CapturePayload | undefined, field: string): string | undefined {
  if (p === undefined) return undefined;
  if (typeof p.data !== 'string') throw new CaptureFormatError(`${field}.data is not a string`, `${field}.data`);
  return p.encoding === 'BASE64' ? Buffer.from(p.data, 'base64').toString('utf8') : p.data;
}

/** The captured inferences of one capture file; a malformed line is refused with its line number. */
export function parseCaptureFile(text: string, source = 'capture file'): CapturedInference[] {
  const out: CapturedInference[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    const where = `${source} line ${i + 1}`;
    let line: CaptureLine;
    try {
      line = JSON.parse(raw) as CaptureLine;
    } catch (error) {
      throw new CaptureFormatError(`${where}: not JSON (${(error as Error).message})`, 'line');
    }
    const meta = line?.eventMetadata;
    const time = Date.parse(meta?.inferenceTime ?? '');
    if (typeof meta?.eventId !== 'string' || Number.isNaN(time)) {
      throw new CaptureFormatError(`${where}: eventMetadata needs eventId and inferenceTime`, 'eventMetadata');
    }
    const input = decode(line.captureData?.endpointInput, `${where} endpointInput`);
    const output = decode(line.captureData?.endpointOutput, `${where} endpointOutput`);
    out.push({
      eventId: meta.eventId,
      inferenceTimeMs: time,
      ...(input === undefined ? {} : { input }),
      ...(output === undefined ? {} : { output }),
    });
  }
  return out;
}

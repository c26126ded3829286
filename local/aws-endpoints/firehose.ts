import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { assertRequest } from '../aws-contract';
import { type ListeningServer, listen } from '../http';
import { EndpointError, readBody, send, wireError } from './http';

/**
 * The local Firehose: PutRecordBatch over Firehose's JSON 1.1 protocol (`X-Amz-Target:
 * Firehose_20150804.PutRecordBatch`), for the delivery streams it is given. As strict as AWS: at most 500 records,
 * 4 MiB a request and 1,000 KiB a record (before base64), an unknown stream is ResourceNotFoundException; the
 * request is checked against the SDK's model. Accepted records go to the stream's delivery (what Firehose buffers
 * and writes to S3): here, the lake. https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
 */

/** A stream's destination: takes the accepted records' bytes, in order (buffering and conversion are its own). */
export interface LocalDeliveryStream {
  accept(records: readonly Uint8Array[]): void;
}

export const FIREHOSE_LIMITS = {
  maxRecords: 500,
  maxRequestBytes: 4 * 1024 * 1024,
  maxRecordBytes: 1000 * 1024,
} as const;

const TARGET = 'Firehose_20150804.';
const JSON_TYPE = 'application/x-amz-json-1.1';

function sendError(res: ServerResponse, code: string, status: number, message: string): void {
  send(res, status, JSON.stringify({ __type: code, message }), { 'Content-Type': JSON_TYPE });
}

const invalid = (message: string): EndpointError => new EndpointError('InvalidArgumentException', 400, message);

/** The records' bytes of a PutRecordBatch input, refused as Firehose refuses them. */
export function recordsOfPutRecordBatch(
  input: Record<string, unknown>,
  streams: ReadonlyMap<string, LocalDeliveryStream>,
): { stream: LocalDeliveryStream; records: Uint8Array[] } {
  assertRequest('firehose', 'PutRecordBatch', input, 'sdk');
  const name = String(input.DeliveryStreamName);
  const stream = streams.get(name);
  if (stream === undefined) {
    throw new EndpointError('ResourceNotFoundException', 400, `Firehose ${name} under this account is not found.`);
  }
  const list = input.Records as readonly { Data?: unknown }[];
  if (list.length === 0 || list.length > FIREHOSE_LIMITS.maxRecords) {
    throw invalid(`Records has ${list.length} records; PutRecordBatch takes 1 to ${FIREHOSE_LIMITS.maxRecords}.`);
  }
  let total = 0;
  const records = list.map((record, i) => {
    if (typeof record.Data !== 'string') throw invalid(`Records[${i}].Data is not a base64 blob.`);
    const data = Buffer.from(record.Data, 'base64');
    if (data.byteLength > FIREHOSE_LIMITS.maxRecordBytes) {
      throw invalid(`Records[${i}].Data is ${data.byteLength} bytes; a record is at most 1,000 KiB.`);
    }
    total += data.byteLength;
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  });
  if (total > FIREHOSE_LIMITS.maxRequestBytes) throw invalid('Records size exceeds 4 MB limit');
  return { stream, records };
}

/** Handles the request when it is Firehose's; false when it is not. */
export async function handleFirehose(
  streams: ReadonlyMap<string, LocalDeliveryStream>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const target = req.headers['x-amz-target'];
  if (typeof target !== 'string' || !target.startsWith(TARGET)) return false;
  const operation = target.slice(TARGET.length);
  try {
    const body = await readBody(req);
    // 4 MiB of records is ~5.6 MB of base64: a body far past it is refused before it is parsed.
    if (body.byteLength > 2 * FIREHOSE_LIMITS.maxRequestBytes) throw invalid('Records size exceeds 4 MB limit');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      throw new EndpointError('SerializationException', 400, 'Request body is not valid JSON');
    }
    if (operation !== 'PutRecordBatch') {
      throw new EndpointError('UnknownOperationException', 400, `${operation} is not served by the local Firehose`);
    }
    const { stream, records } = recordsOfPutRecordBatch(input, streams);
    stream.accept(records);
    const output = { FailedPutCount: 0, Encrypted: false, RequestResponses: records.map(() => ({ RecordId: id() })) };
    send(res, 200, JSON.stringify(output), { 'Content-Type': JSON_TYPE });
  } catch (error) {
    const wire = wireError(error);
    if (!wire) throw error;
    sendError(res, wire.code, wire.statusCode, wire.message);
  }
  return true;
}

let sequence = 0;
const id = (): string => `local-${Date.now().toString(36)}-${(sequence++).toString(36)}`;

/** A loopback server answering PutRecordBatch for `streams` (name → delivery). */
export function startLocalFirehose(
  streams: ReadonlyMap<string, LocalDeliveryStream>,
  options: { host?: string; port?: number } = {},
): Promise<ListeningServer> {
  const server = createServer((req, res) => {
    handleFirehose(streams, req, res)
      .then((handled) => {
        if (!handled) sendError(res, 'UnknownOperationException', 400, 'No X-Amz-Target of Firehose');
      })
      .catch((error: unknown) => {
        if (res.headersSent) res.destroy();
        else sendError(res, 'ServiceUnavailableException', 500, `Internal failure: ${String(error)}`);
      });
  });
  return listen(server, options.host ?? '127.0.0.1', options.port ?? 0);
}

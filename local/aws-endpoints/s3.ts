import { createHash, randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { LocalS3Error } from '../adapters/s3';
import { assertHttpRequest } from '../aws-contract';
import { EndpointError, escapeXml, readBody, send, wireError } from './http';
import { listObjectsV2 } from './s3-list';
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, uploadPart } from './s3-multipart';

/**
 * S3's REST API, path-style (`/{Bucket}/{Key+}`; clients set `forcePathStyle`), on the state folder's S3 tree (the
 * FolderObjectStore layout: `<stateDir>/s3/<bucket>/<key>`): GetObject (whole or one byte range), PutObject,
 * ListObjectsV2, and the multipart upload calls — what the tasks' streamed reads and writes use.
 */

/** Where the objects live: FolderObjectStore satisfies it. */
export interface ObjectFolder {
  pathOf(uri: string): string;
}

/** S3's error document. https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#RESTErrorResponses */
function sendS3Error(res: ServerResponse, code: string, status: number, message: string, key?: string): void {
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>` +
    `${key === undefined ? '' : `<Key>${escapeXml(key)}</Key>`}<RequestId>${randomUUID()}</RequestId></Error>`;
  send(res, status, xml, { 'Content-Type': 'application/xml' });
}

function objectPath(folder: ObjectFolder, bucket: string, key: string): string {
  try {
    return folder.pathOf(`s3://${bucket}/${key}`);
  } catch (error) {
    if (error instanceof LocalS3Error && error.code === 'InvalidBucketName') {
      throw new EndpointError('InvalidBucketName', 400, 'The specified bucket is not valid.');
    }
    throw new EndpointError('InvalidArgument', 400, (error as Error).message);
  }
}

const etagOf = (body: Buffer): string => `"${createHash('md5').update(body).digest('hex')}"`;

/** The operation a path-style request names, by method, path shape and query (as S3's REST API routes it). */
function operationOf(method: string | undefined, hasKey: boolean, query: URLSearchParams): string | undefined {
  if (!hasKey) return method === 'GET' && query.get('list-type') === '2' ? 'ListObjectsV2' : undefined;
  if (method === 'GET') return 'GetObject';
  if (method === 'PUT') return query.has('uploadId') ? 'UploadPart' : 'PutObject';
  if (method === 'POST') {
    return query.has('uploads')
      ? 'CreateMultipartUpload'
      : query.has('uploadId')
        ? 'CompleteMultipartUpload'
        : undefined;
  }
  if (method === 'DELETE' && query.has('uploadId')) return 'AbortMultipartUpload';
  return undefined;
}

/**
 * One byte range of `size` bytes from a Range header, inclusive; undefined to send the whole object (no header,
 * or one S3 ignores: not a single `bytes=` range). Unsatisfiable: InvalidRange (416).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
 */
function byteRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [, first = '', last = ''] = match;
  // A last byte before the first makes the header invalid, and an invalid Range is ignored (RFC 9110 14.2).
  if (first !== '' && last !== '' && Number(last) < Number(first)) return undefined;
  const range =
    first === ''
      ? { start: Math.max(0, size - Number(last)), end: size - 1 }
      : { start: Number(first), end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
  if (range.start >= size || range.end < range.start) {
    throw new EndpointError('InvalidRange', 416, 'The requested range is not satisfiable');
  }
  return range;
}

function getObject(res: ServerResponse, path: string, key: string, rangeHeader: string | undefined): void {
  if (!existsSync(path) || statSync(path).isDirectory()) {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_Errors
    sendS3Error(res, 'NoSuchKey', 404, 'The specified key does not exist.', key);
    return;
  }
  const stat = statSync(path);
  const range = byteRange(rangeHeader, stat.size);
  const headers = { 'Content-Type': 'application/octet-stream', 'Last-Modified': stat.mtime.toUTCString() };
  if (range === undefined) {
    const object = readFileSync(path);
    send(res, 200, object, { ...headers, ETag: etagOf(object), 'Accept-Ranges': 'bytes' });
    return;
  }
  // Only the range is read, so a reader of a large object holds no more than it asked for.
  const part = Buffer.alloc(range.end - range.start + 1);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, part, 0, part.length, range.start);
  } finally {
    closeSync(fd);
  }
  send(res, 206, part, { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${stat.size}` });
}

/** Handles the request when it is S3's; false when it is not (not a path-style bucket or object request). */
export async function handleS3(folder: ObjectFolder, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = /^\/([^/]+)(?:\/(.*))?$/.exec(url.pathname);
  const hasKey = (match?.[2] ?? '') !== '';
  const operation = match ? operationOf(req.method, hasKey, url.searchParams) : undefined;
  if (!match || !operation) return false;
  const bucket = decodeURIComponent(match[1] ?? '');
  const key = decodeURIComponent(match[2] ?? '');
  const body = await readBody(req);
  try {
    // The request as the SDK's model binds it (labels, query, headers, payload), refused as S3 refuses it. The
    // XML payload of CompleteMultipartUpload is read below, not as the model's structure.
    assertHttpRequest('s3', operation, {
      labels: hasKey ? { Bucket: bucket, Key: key } : { Bucket: bucket },
      query: url.searchParams,
      headers: req.headers,
      body: operation === 'CompleteMultipartUpload' ? Buffer.alloc(0) : body,
    });
    if (operation === 'ListObjectsV2') {
      const bucketDir = objectPath(folder, bucket, '');
      send(res, 200, listObjectsV2(bucket, bucketDir, url.searchParams), { 'Content-Type': 'application/xml' });
      return true;
    }
    const path = objectPath(folder, bucket, key);
    if (operation === 'GetObject') {
      getObject(res, path, key, req.headers.range);
      return true;
    }
    if (operation === 'CreateMultipartUpload') {
      send(res, 200, createMultipartUpload(bucket, key), { 'Content-Type': 'application/xml' });
      return true;
    }
    if (operation === 'CompleteMultipartUpload') {
      send(res, 200, completeMultipartUpload(bucket, key, url.searchParams, body, path), {
        'Content-Type': 'application/xml',
      });
      return true;
    }
    if (operation === 'AbortMultipartUpload') {
      abortMultipartUpload(bucket, key, url.searchParams);
      send(res, 204, '');
      return true;
    }
    if (req.headers['content-encoding']?.includes('aws-chunked')) {
      // The SDK streams with aws-chunked only for bodies of unknown length; the handlers send strings and buffers.
      throw new EndpointError('NotImplemented', 501, 'aws-chunked uploads are not supported by the local S3');
    }
    if (operation === 'UploadPart') {
      send(res, 200, '', { ETag: uploadPart(bucket, key, url.searchParams, body) });
      return true;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
    send(res, 200, '', { ETag: etagOf(body) });
  } catch (error) {
    const wire = wireError(error);
    if (!wire) throw error;
    sendS3Error(res, wire.code, wire.statusCode, wire.message, hasKey ? key : undefined);
  }
  return true;
}

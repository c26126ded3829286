import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { LocalS3Error } from '../adapters/s3';
import { assertHttpRequest } from '../aws-contract';
import { EndpointError, escapeXml, readBody, send, wireError } from './http';

/**
 * S3's REST API, path-style (`/{Bucket}/{Key+}`; clients set `forcePathStyle`), for GetObject and PutObject on the
 * state folder's S3 tree (the FolderObjectStore layout: `<stateDir>/s3/<bucket>/<key>`).
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

/** Handles the request when it is S3's; false when it is not (not a path-style object request). */
export async function handleS3(folder: ObjectFolder, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = /^\/([^/]+)\/(.+)$/.exec(url.pathname);
  if (!match || (req.method !== 'GET' && req.method !== 'PUT')) return false;
  const bucket = decodeURIComponent(match[1] ?? '');
  const key = decodeURIComponent(match[2] ?? '');
  const body = await readBody(req);
  try {
    const operation = req.method === 'GET' ? 'GetObject' : 'PutObject';
    // The request as the SDK's model binds it (labels, query, headers, payload), refused as S3 refuses it.
    assertHttpRequest('s3', operation, {
      labels: { Bucket: bucket, Key: key },
      query: url.searchParams,
      headers: req.headers,
      body,
    });
    const path = objectPath(folder, bucket, key);
    if (req.method === 'GET') {
      if (!existsSync(path) || statSync(path).isDirectory()) {
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_Errors
        sendS3Error(res, 'NoSuchKey', 404, 'The specified key does not exist.', key);
        return true;
      }
      const object = readFileSync(path);
      send(res, 200, object, {
        'Content-Type': 'application/octet-stream',
        ETag: etagOf(object),
        'Last-Modified': statSync(path).mtime.toUTCString(),
      });
      return true;
    }
    if (req.headers['content-encoding']?.includes('aws-chunked')) {
      // The SDK streams with aws-chunked only for bodies of unknown length; the handlers send strings.
      throw new EndpointError('NotImplemented', 501, 'aws-chunked uploads are not supported by the local S3');
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
    send(res, 200, '', { ETag: etagOf(body) });
  } catch (error) {
    const wire = wireError(error);
    if (!wire) throw error;
    sendS3Error(res, wire.code, wire.statusCode, wire.message, key);
  }
  return true;
}

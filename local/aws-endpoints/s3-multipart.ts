import { createHash, randomUUID } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EndpointError, escapeXml } from './http';

/**
 * Multipart uploads, as S3 answers them, for the streamed writes of the tasks: parts are kept on disk (outside
 * the bucket folders, so listings never show an upload in progress) until CompleteMultipartUpload joins them
 * into the object in one rename. https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
 */

/** Every part but the last is at least 5 MiB (EntityTooSmall): https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;

interface Upload {
  readonly bucket: string;
  readonly key: string;
  readonly dir: string;
  readonly etags: Map<number, string>;
}

const uploads = new Map<string, Upload>();

const md5 = (body: Buffer): Buffer => createHash('md5').update(body).digest();
const xmlHead = '<?xml version="1.0" encoding="UTF-8"?>\n';
const ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

function uploadOf(bucket: string, key: string, uploadId: string): Upload {
  const upload = uploads.get(uploadId);
  if (!upload || upload.bucket !== bucket || upload.key !== key) {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html#API_UploadPart_Errors
    throw new EndpointError(
      'NoSuchUpload',
      404,
      'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.',
    );
  }
  return upload;
}

/** CreateMultipartUpload: the InitiateMultipartUploadResult document. */
export function createMultipartUpload(bucket: string, key: string): string {
  const uploadId = randomUUID().replace(/-/g, '');
  uploads.set(uploadId, { bucket, key, dir: mkdtempSync(join(tmpdir(), 'local-s3-upload-')), etags: new Map() });
  return (
    `${xmlHead}<InitiateMultipartUploadResult ${ns}><Bucket>${escapeXml(bucket)}</Bucket>` +
    `<Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`
  );
}

/** UploadPart: stores the part, returns its ETag (a later part of the same number replaces it, as on S3). */
export function uploadPart(bucket: string, key: string, query: URLSearchParams, body: Buffer): string {
  const upload = uploadOf(bucket, key, query.get('uploadId') ?? '');
  const partNumber = Number(query.get('partNumber'));
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new EndpointError('InvalidArgument', 400, 'Part number must be an integer between 1 and 10000, inclusive');
  }
  writeFileSync(join(upload.dir, String(partNumber)), body);
  const etag = `"${md5(body).toString('hex')}"`;
  upload.etags.set(partNumber, etag);
  return etag;
}

/** The (PartNumber, ETag) pairs of a CompleteMultipartUpload body. */
function requestedParts(body: string): { partNumber: number; etag: string }[] {
  const parts: { partNumber: number; etag: string }[] = [];
  for (const match of body.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const inner = match[1] ?? '';
    const partNumber = Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(inner)?.[1]);
    const etag = (/<ETag>([\s\S]*?)<\/ETag>/.exec(inner)?.[1] ?? '').replace(/&quot;/g, '"').trim();
    parts.push({ partNumber, etag });
  }
  if (parts.length === 0) {
    throw new EndpointError('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate.');
  }
  return parts;
}

/**
 * CompleteMultipartUpload: checks the listed parts as S3 does (ascending, uploaded with that ETag, all but the
 * last at least 5 MiB), joins them at `path`, and answers the CompleteMultipartUploadResult document.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html#API_CompleteMultipartUpload_Errors
 */
export function completeMultipartUpload(
  bucket: string,
  key: string,
  query: URLSearchParams,
  body: Buffer,
  path: string,
): string {
  const uploadId = query.get('uploadId') ?? '';
  const upload = uploadOf(bucket, key, uploadId);
  const parts = requestedParts(body.toString('utf8'));
  parts.forEach(({ partNumber, etag }, i) => {
    if (i > 0 && partNumber <= (parts[i - 1]?.partNumber ?? 0)) {
      throw new EndpointError('InvalidPartOrder', 400, 'The list of parts was not in ascending order.');
    }
    const stored = upload.etags.get(partNumber);
    const unquoted = (s: string) => s.replace(/^"|"$/g, '');
    if (stored === undefined || unquoted(stored) !== unquoted(etag)) {
      throw new EndpointError(
        'InvalidPart',
        400,
        "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      );
    }
    if (i < parts.length - 1 && statSync(join(upload.dir, String(partNumber))).size < MIN_PART_BYTES) {
      throw new EndpointError('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed size');
    }
  });
  mkdirSync(dirname(path), { recursive: true });
  const staging = `${path}.${uploadId}.tmp`;
  writeFileSync(staging, '');
  const digests: Buffer[] = [];
  for (const { partNumber } of parts) {
    const part = readFileSync(join(upload.dir, String(partNumber)));
    digests.push(md5(part));
    appendFileSync(staging, part);
  }
  renameSync(staging, path);
  rmSync(upload.dir, { recursive: true, force: true });
  uploads.delete(uploadId);
  // A multipart object's ETag: MD5 of the parts' MD5s, then "-<number of parts>".
  const etag = `"${md5(Buffer.concat(digests)).toString('hex')}-${parts.length}"`;
  return (
    `${xmlHead}<CompleteMultipartUploadResult ${ns}><Bucket>${escapeXml(bucket)}</Bucket>` +
    `<Key>${escapeXml(key)}</Key><ETag>${escapeXml(etag)}</ETag></CompleteMultipartUploadResult>`
  );
}

/** AbortMultipartUpload: the parts are deleted. */
export function abortMultipartUpload(bucket: string, key: string, query: URLSearchParams): void {
  const uploadId = query.get('uploadId') ?? '';
  const upload = uploadOf(bucket, key, uploadId);
  if (existsSync(upload.dir)) rmSync(upload.dir, { recursive: true, force: true });
  uploads.delete(uploadId);
}

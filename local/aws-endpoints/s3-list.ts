import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EndpointError, escapeXml } from './http';

/**
 * ListObjectsV2 over a bucket folder: keys starting with Prefix, in UTF-8 binary order, at most MaxKeys (default
 * and cap 1,000) a page, continued by an opaque token. Delimiter (CommonPrefixes) is not needed by the handlers
 * and is refused rather than ignored. https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */

const MAX_KEYS = 1000;

export interface Listed {
  readonly key: string;
  readonly size: number;
  readonly modified: Date;
}

/** Every file under the folder of the prefix's last '/', filtered by the prefix: what S3 would list. */
export function keysUnder(bucketDir: string, prefix: string): Listed[] {
  const slash = prefix.lastIndexOf('/');
  const base = slash < 0 ? '' : prefix.slice(0, slash + 1);
  const start = join(bucketDir, base);
  const out: Listed[] = [];
  if (!existsSync(start) || !statSync(start).isDirectory()) return out;
  const walk = (dir: string, keyPrefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const key = `${keyPrefix}${entry.name}`;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full, `${key}/`);
      else if (key.startsWith(prefix)) {
        const stat = statSync(full);
        out.push({ key, size: stat.size, modified: stat.mtime });
      }
    }
  };
  walk(start, base);
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
}

const token = (key: string): string => Buffer.from(key, 'utf8').toString('base64');

function keyOfToken(value: string): string {
  const key = Buffer.from(value, 'base64').toString('utf8');
  if (value.length === 0 || token(key) !== value) {
    throw new EndpointError('InvalidArgument', 400, 'The continuation token provided is incorrect');
  }
  return key;
}

/** The ListBucketResult document for the request's query. */
export function listObjectsV2(bucket: string, bucketDir: string, query: URLSearchParams): string {
  if (query.get('delimiter')) {
    throw new EndpointError('NotImplemented', 501, 'ListObjectsV2 with a delimiter is not supported by the local S3');
  }
  const prefix = query.get('prefix') ?? '';
  const maxKeysText = query.get('max-keys');
  const maxKeys = maxKeysText === null ? MAX_KEYS : Math.min(MAX_KEYS, Number(maxKeysText));
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw new EndpointError('InvalidArgument', 400, 'Provided max-keys not an integer or within integer range');
  }
  const continuation = query.get('continuation-token');
  const after = continuation !== null ? keyOfToken(continuation) : (query.get('start-after') ?? '');
  const all = keysUnder(bucketDir, prefix).filter((o) => Buffer.compare(Buffer.from(o.key), Buffer.from(after)) > 0);
  const page = all.slice(0, maxKeys);
  const truncated = all.length > page.length;
  const last = page[page.length - 1];
  const element = (name: string, value: string | number | undefined): string =>
    value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
  const contents = page
    .map(
      (o) =>
        `<Contents>${element('Key', o.key)}${element('LastModified', o.modified.toISOString())}` +
        `${element('Size', o.size)}${element('StorageClass', 'STANDARD')}</Contents>`,
    )
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `${element('Name', bucket)}${element('Prefix', prefix)}${element('MaxKeys', maxKeys)}` +
    `${element('KeyCount', page.length)}${element('IsTruncated', String(truncated))}` +
    `${element('ContinuationToken', continuation ?? undefined)}` +
    `${truncated && last ? element('NextContinuationToken', token(last.key)) : ''}` +
    `${contents}</ListBucketResult>`
  );
}

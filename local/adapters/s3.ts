import { once } from 'node:events';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectSummary, StreamingObjectStore } from '../../tasks/ports/object-store';
import { keysUnder } from '../aws-endpoints/s3-list';

/**
 * S3 → a folder: `s3://bucket/key` lives at `<stateDir>/s3/bucket/key`. Also accepts `file://` URIs,
 * which the local AutoML engine uses for model artifacts.
 */

export class LocalS3Error extends Error {
  constructor(
    message: string,
    readonly code: 'NoSuchKey' | 'InvalidUri' | 'InvalidBucketName',
  ) {
    super(message);
    this.name = code;
  }
}

export class FolderObjectStore implements StreamingObjectStore {
  readonly root: string;

  constructor(stateDir: string) {
    this.root = join(resolve(stateDir), 's3');
  }

  /** The local path behind an s3:// or file:// URI; refuses keys that escape the bucket folder. */
  pathOf(uri: string): string {
    if (uri.startsWith('file://')) return uri.slice('file://'.length);
    const match = /^s3:\/\/([^/]*)\/?(.*)$/.exec(uri);
    if (!match) throw new LocalS3Error(`Not an s3:// URI: "${uri}"`, 'InvalidUri');
    const [, bucket = '', key = ''] = match;
    // 3–63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, no "..":
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..'))
      throw new LocalS3Error(`The specified bucket is not valid: "${bucket}" (in "${uri}")`, 'InvalidBucketName');
    const path = resolve(this.root, bucket, key);
    if (!path.startsWith(join(this.root, bucket)))
      throw new LocalS3Error(`Key escapes its bucket: "${uri}"`, 'InvalidUri');
    return path;
  }

  uriOf(path: string): string {
    const rel = relative(this.root, resolve(path));
    if (rel.startsWith('..')) return `file://${resolve(path)}`;
    return `s3://${rel.split(sep).join('/')}`;
  }

  async getText(uri: string): Promise<string> {
    const path = this.pathOf(uri);
    if (!existsSync(path) || statSync(path).isDirectory()) throw new LocalS3Error(`NoSuchKey: ${uri}`, 'NoSuchKey');
    return readFileSync(path, 'utf8');
  }

  async putText(uri: string, body: string): Promise<void> {
    const path = this.pathOf(uri);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
  }

  /** Keys under a prefix (recursively), as URIs — what an S3Prefix data source reads. */
  list(prefixUri: string): string[] {
    const path = this.pathOf(prefixUri);
    if (!existsSync(path)) return [];
    if (!statSync(path).isDirectory()) return [this.uriOf(path)];
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else out.push(this.uriOf(full));
      }
    };
    walk(path);
    return out;
  }

  /** Objects whose key starts with the prefix, in UTF-8 key order: what ListObjectsV2 answers (tasks' splits). */
  async listObjects(prefixUri: string): Promise<ObjectSummary[]> {
    const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(prefixUri);
    if (!match) throw new LocalS3Error(`Not an s3://bucket/prefix URI: "${prefixUri}"`, 'InvalidUri');
    const [, bucket = '', prefix = ''] = match;
    return keysUnder(this.pathOf(`s3://${bucket}/`), prefix).map((o) => ({
      uri: `s3://${bucket}/${o.key}`,
      size: o.size,
    }));
  }

  private existing(uri: string): string {
    const path = this.pathOf(uri);
    if (!existsSync(path) || statSync(path).isDirectory()) throw new LocalS3Error(`NoSuchKey: ${uri}`, 'NoSuchKey');
    return path;
  }

  async getRange(uri: string, start: number, end: number): Promise<Uint8Array> {
    const path = this.existing(uri);
    const bytes = Buffer.alloc(Math.max(0, Math.min(end, statSync(path).size) - start));
    const fd = openSync(path, 'r');
    try {
      readSync(fd, bytes, 0, bytes.length, start);
    } finally {
      closeSync(fd);
    }
    return bytes;
  }

  getStream(uri: string): AsyncIterable<Uint8Array> {
    return createReadStream(this.existing(uri));
  }

  /** Written beside the object, then renamed: a reader never sees half of it. */
  async putStream(uri: string, chunks: AsyncIterable<string>): Promise<void> {
    const path = this.pathOf(uri);
    mkdirSync(dirname(path), { recursive: true });
    const staging = `${path}.tmp-${process.pid}`;
    const out = createWriteStream(staging);
    try {
      // pipeline ends the file on success and destroys it on any error, of the source or of the disk.
      await pipeline(Readable.from(chunks), out);
    } catch (error) {
      // The file is opened asynchronously: wait until it is closed before removing it.
      if (!out.closed) await once(out, 'close').catch(() => undefined);
      rmSync(staging, { force: true });
      throw error;
    }
    renameSync(staging, path);
  }
}

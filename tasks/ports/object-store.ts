import { TaskInputError } from '../errors';

/** One object under a prefix, as a listing names it. */
export interface ObjectSummary {
  readonly uri: string;
  readonly size: number;
}

/** Where run artifacts live: S3 on AWS, a folder locally. URIs are `s3://bucket/key` in both. */
export interface ObjectStore {
  getText(uri: string): Promise<string>;
  putText(uri: string, body: string, contentType?: string): Promise<void>;
}

/**
 * An {@link ObjectStore} a task can read and write artifacts of any size through in bounded memory: a prefix's
 * listing, byte ranges (what a Parquet reader asks for), a body as a stream of chunks, a write fed chunk by chunk.
 */
export interface StreamingObjectStore extends ObjectStore {
  /** Every object whose key starts with the prefix of `prefixUri`, in key order (UTF-8 binary, as S3 lists). */
  listObjects(prefixUri: string): Promise<ObjectSummary[]>;
  /** Bytes [start, end) of the object. */
  getRange(uri: string, start: number, end: number): Promise<Uint8Array>;
  /** The object's body, chunk by chunk. */
  getStream(uri: string): AsyncIterable<Uint8Array>;
  /** Writes the chunks as one object, holding no more than a part of it in memory at once. */
  putStream(uri: string, chunks: AsyncIterable<string>, contentType?: string): Promise<void>;
}

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

export function parseS3Uri(uri: string, field = 'uri'): S3Location {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) {
    throw new TaskInputError(`${field} must be an s3://bucket/key URI, got "${uri}"`, field);
  }
  return { bucket: match[1], key: match[2] };
}

/** Compares as S3 orders keys in a listing: by UTF-8 bytes, not UTF-16 code units. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** In-memory store, for tests and for composing local runs. Bodies are text or bytes. */
export class MemoryObjectStore implements StreamingObjectStore {
  readonly objects = new Map<string, string | Uint8Array>();

  private bytes(uri: string): Uint8Array {
    const body = this.objects.get(uri);
    if (body === undefined) throw new Error(`No object at ${uri}`);
    return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  }

  async getText(uri: string): Promise<string> {
    const body = this.objects.get(uri);
    if (typeof body === 'string') return body;
    return Buffer.from(this.bytes(uri)).toString('utf8');
  }

  async putText(uri: string, body: string): Promise<void> {
    this.objects.set(uri, body);
  }

  async listObjects(prefixUri: string): Promise<ObjectSummary[]> {
    return [...this.objects.keys()]
      .filter((uri) => uri.startsWith(prefixUri))
      .sort(compareKeys)
      .map((uri) => ({ uri, size: this.bytes(uri).byteLength }));
  }

  async getRange(uri: string, start: number, end: number): Promise<Uint8Array> {
    return this.bytes(uri).slice(start, end);
  }

  async *getStream(uri: string): AsyncIterable<Uint8Array> {
    const body = this.bytes(uri);
    // Small chunks, so readers meet lines split across chunk boundaries as they do on S3.
    for (let at = 0; at < body.byteLength; at += 7) yield body.subarray(at, at + 7);
  }

  async putStream(uri: string, chunks: AsyncIterable<string>): Promise<void> {
    let body = '';
    for await (const chunk of chunks) body += chunk;
    this.objects.set(uri, body);
  }
}

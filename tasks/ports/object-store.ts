import { TaskInputError } from '../errors';

/** Where run artifacts live: S3 on AWS, a folder locally. URIs are `s3://bucket/key` in both. */
export interface ObjectStore {
  getText(uri: string): Promise<string>;
  putText(uri: string, body: string, contentType?: string): Promise<void>;
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

/** In-memory store, for tests and for composing local runs. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, string>();

  async getText(uri: string): Promise<string> {
    const body = this.objects.get(uri);
    if (body === undefined) throw new Error(`No object at ${uri}`);
    return body;
  }

  async putText(uri: string, body: string): Promise<void> {
    this.objects.set(uri, body);
  }
}

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { PortError } from '../errors';
import { type ObjectSummary, parseS3Uri, type StreamingObjectStore } from './object-store';

/** S3 refuses parts under 5 MiB but the last (EntityTooSmall): https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

/** {@link StreamingObjectStore} on S3. Objects are written with the bucket's default (KMS) encryption. */
export class S3ObjectStore implements StreamingObjectStore {
  private readonly partBytes: number;

  /** `partBytes`: the size of a multipart upload's parts, so at most that much of a streamed write is held. */
  constructor(
    private readonly client: S3Client,
    options: { partBytes?: number } = {},
  ) {
    this.partBytes = options.partBytes ?? DEFAULT_PART_BYTES;
  }

  async getText(uri: string): Promise<string> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!response.Body) throw new PortError(`S3 object ${uri} has no body`);
      return await response.Body.transformToString('utf-8');
    } catch (error) {
      if (error instanceof PortError) throw error;
      throw new PortError(`Reading ${uri} failed`, { cause: error });
    }
  }

  async putText(uri: string, body: string, contentType = 'text/plain'): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (error) {
      throw new PortError(`Writing ${uri} failed`, { cause: error });
    }
  }

  /** ListObjectsV2, every page (at most 1,000 keys a page, in UTF-8 binary key order). */
  async listObjects(prefixUri: string): Promise<ObjectSummary[]> {
    const { bucket, key: prefix } = parseS3Uri(prefixUri);
    const objects: ObjectSummary[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const { Key, Size } of page.Contents ?? []) {
          if (Key !== undefined) objects.push({ uri: `s3://${bucket}/${Key}`, size: Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw new PortError(`Listing ${prefixUri} failed`, { cause: error });
    }
    return objects;
  }

  /** A ranged GetObject; the Range header's last byte is inclusive (RFC 9110, as S3 reads it). */
  async getRange(uri: string, start: number, end: number): Promise<Uint8Array> {
    const { bucket, key } = parseS3Uri(uri);
    if (end <= start) return new Uint8Array(0);
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }),
      );
      if (!response.Body) throw new PortError(`S3 object ${uri} has no body`);
      return await response.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof PortError) throw error;
      throw new PortError(`Reading bytes ${start}-${end - 1} of ${uri} failed`, { cause: error });
    }
  }

  async *getStream(uri: string): AsyncIterable<Uint8Array> {
    const { bucket, key } = parseS3Uri(uri);
    let body: unknown;
    try {
      body = (await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body;
    } catch (error) {
      throw new PortError(`Reading ${uri} failed`, { cause: error });
    }
    // In Node the SDK's body is a Readable, which iterates as Buffers.
    if (!body || typeof body !== 'object' || !(Symbol.asyncIterator in body)) {
      throw new PortError(`S3 object ${uri} has no readable body`);
    }
    try {
      yield* body as AsyncIterable<Uint8Array>;
    } catch (error) {
      throw new PortError(`Reading ${uri} failed`, { cause: error });
    }
  }

  /**
   * One PutObject when everything fits in a part, else a multipart upload of `partBytes` parts, sent one at a
   * time (aborted on failure, so no parts are left billed). An error of `chunks` itself passes through as it is.
   */
  async putStream(uri: string, chunks: AsyncIterable<string>, contentType = 'text/plain'): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    const call = async <T>(what: string, send: () => Promise<T>): Promise<T> => {
      try {
        return await send();
      } catch (error) {
        throw new PortError(`Writing ${uri} failed (${what})`, { cause: error });
      }
    };
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let uploadId: string | undefined;
    const parts: { PartNumber: number; ETag: string }[] = [];
    const take = (): Buffer => {
      const body = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      return body;
    };
    const sendPart = async (Body: Buffer): Promise<void> => {
      if (uploadId === undefined) {
        const created = await call('CreateMultipartUpload', () =>
          this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType })),
        );
        if (!created.UploadId) throw new PortError(`CreateMultipartUpload for ${uri} returned no UploadId`);
        uploadId = created.UploadId;
      }
      const UploadId = uploadId;
      const PartNumber = parts.length + 1;
      const { ETag } = await call(`UploadPart ${PartNumber}`, () =>
        this.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body })),
      );
      if (!ETag) throw new PortError(`UploadPart ${PartNumber} of ${uri} returned no ETag`);
      parts.push({ PartNumber, ETag });
    };
    try {
      for await (const chunk of chunks) {
        const bytes = Buffer.from(chunk, 'utf8');
        pending.push(bytes);
        pendingBytes += bytes.byteLength;
        if (pendingBytes >= this.partBytes) await sendPart(take());
      }
      if (uploadId === undefined) {
        const Body = take();
        await call('PutObject', () =>
          this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body, ContentType: contentType })),
        );
        return;
      }
      if (pendingBytes > 0) await sendPart(take());
      const UploadId = uploadId;
      await call('CompleteMultipartUpload', () =>
        this.client.send(
          new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }),
        ),
      );
    } catch (error) {
      const UploadId = uploadId;
      if (UploadId !== undefined) {
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }))
          .catch(() => undefined);
      }
      throw error;
    }
  }
}

import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PortError } from '../errors';
import { type ObjectStore, parseS3Uri } from './object-store';

/** {@link ObjectStore} on S3. Objects are written with the bucket's default (KMS) encryption. */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly client: S3Client) {}

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
}

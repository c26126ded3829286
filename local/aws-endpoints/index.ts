import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Notifier } from '../../tasks/ports/notifier';
import { type ListeningServer, listen } from '../http';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../runtime/identity';
import { type DynamoDBBackends, handleDynamoDB } from './dynamodb';
import { send } from './http';
import { handleS3, type ObjectFolder } from './s3';
import { handleSfn, type TokenAnswers } from './sfn';
import { handleSns } from './sns';

/**
 * The local AWS endpoints the Lambda handlers' SDK clients are pointed at (`endpoint` option): one loopback HTTP
 * server answering each service's wire protocol for exactly the operations the handlers call — S3 (REST, path
 * style), DynamoDB and Step Functions (JSON 1.0, told apart by X-Amz-Target) and SNS (query protocol). Every
 * request is validated against the SDK's model for its operation and refused with the service's error shape.
 */

export interface AwsEndpointBackends {
  readonly s3: ObjectFolder;
  readonly dynamodb: DynamoDBBackends;
  readonly sns: { readonly topicArn: string; readonly notifier: Notifier };
  readonly sfn: TokenAnswers;
}

async function route(backends: AwsEndpointBackends, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (await handleDynamoDB(backends.dynamodb, req, res)) return;
  if (await handleSfn(backends.sfn, req, res)) return;
  if (await handleSns(backends.sns, req, res)) return;
  if (await handleS3(backends.s3, req, res)) return;
  send(res, 404, JSON.stringify({ message: `No local AWS operation for ${req.method} ${req.url}` }), {
    'Content-Type': 'application/json',
  });
}

export function startAwsEndpoints(
  backends: AwsEndpointBackends,
  options: { host?: string; port?: number } = {},
): Promise<ListeningServer> {
  const server = createServer((req, res) => {
    route(backends, req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else send(res, 500, JSON.stringify({ message: `Internal failure: ${String(error)}` }));
    });
  });
  return listen(server, options.host ?? '127.0.0.1', options.port ?? 0);
}

/** SDK client configuration for the local endpoints: region, dummy credentials (signed, not checked), endpoint. */
export function localClientConfig(url: string) {
  return { endpoint: url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true } as const;
}

import { assertRequest } from './requests';
import type { AwsService } from './schema';

type Handler = (args: { input: unknown }) => Promise<unknown>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;

/** Any SDK v3 client (only its middleware stack is used). */
interface MiddlewareClient {
  readonly middlewareStack: { add(...args: never[]): void };
}

/**
 * Validates every command an SDK v3 client sends against the service's model before it leaves the process, the
 * way the service would refuse it: for code that talks to AWS through a real client (the DynamoDB approval store).
 */
export function enforceContract<C extends MiddlewareClient>(client: C, service: AwsService): C {
  const add = client.middlewareStack.add.bind(client.middlewareStack) as unknown as (
    middleware: Middleware,
    options: { step: 'initialize'; name: string },
  ) => void;
  add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      assertRequest(service, operation, args.input, 'sdk');
      return next(args);
    },
    { step: 'initialize', name: `awsContract-${service}` },
  );
  return client;
}

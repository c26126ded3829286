import { assertRequest } from './requests';
import type { AwsService } from './schema';

interface MiddlewareClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: { input: unknown }) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: { input: unknown }) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/**
 * Validates every command an SDK v3 client sends against the service's model before it leaves the process, the
 * way the service would refuse it: for code that talks to AWS through a real client (the DynamoDB approval store).
 */
export function enforceContract<C extends MiddlewareClient>(client: C, service: AwsService): C {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      assertRequest(service, operation, args.input, 'sdk');
      return next(args);
    },
    { step: 'initialize', name: `awsContract-${service}` },
  );
  return client;
}

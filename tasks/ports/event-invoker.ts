import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { PortError } from '../errors';

/** Hands an event to another function without waiting for it: Lambda's asynchronous invocation on AWS. */
export interface EventInvoker {
  invoke(event: unknown): Promise<void>;
}

/**
 * InvocationType `Event`: Lambda queues the event (it answers 202) and retries a failed run twice; the payload is at
 * most 1 MB. https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
export class LambdaEventInvoker implements EventInvoker {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async invoke(event: unknown): Promise<void> {
    try {
      await this.client.send(
        new InvokeCommand({
          FunctionName: this.functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      );
    } catch (error) {
      throw new PortError(`Invoking ${this.functionName} asynchronously failed`, { cause: error });
    }
  }
}

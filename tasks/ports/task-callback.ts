import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { PortError } from '../errors';

/** Answers a `.waitForTaskToken` task. */
export interface TaskCallback {
  succeed(taskToken: string, output: unknown): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

export class SfnTaskCallback implements TaskCallback {
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: unknown): Promise<void> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    } catch (error) {
      throw new PortError('SendTaskSuccess failed', { cause: error });
    }
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    try {
      await this.client.send(new SendTaskFailureCommand({ taskToken, error, cause }));
    } catch (err) {
      throw new PortError('SendTaskFailure failed', { cause: err });
    }
  }
}

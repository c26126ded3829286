import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { PortError } from '../errors';

/** People who need to know: SNS on AWS (e-mail subscribers), the console/log locally. */
export interface Notifier {
  publish(subject: string, message: string): Promise<void>;
}

export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(subject: string, message: string): Promise<void> {
    try {
      // SNS subjects are limited to 100 printable ASCII characters.
      const safeSubject = subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
      await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject: safeSubject, Message: message }));
    } catch (error) {
      throw new PortError(`Publishing to ${this.topicArn} failed`, { cause: error });
    }
  }
}

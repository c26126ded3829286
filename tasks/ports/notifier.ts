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
      // SNS subjects must be fewer than 100 characters, without line breaks or control characters:
      // https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (printable ASCII here, for e-mail).
      const safeSubject = subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 99);
      await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject: safeSubject, Message: message }));
    } catch (error) {
      throw new PortError(`Publishing to ${this.topicArn} failed`, { cause: error });
    }
  }
}

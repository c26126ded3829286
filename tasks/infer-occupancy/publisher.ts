import { type AwsHttpTransport, escapeUri, serviceErrorOf } from '../aws-http';
import { ShadowPublishError } from './errors';

/** What the handler writes to `state.desired` of the room's shadow. */
export interface OccupancyDesiredState {
  readonly roomOccupancy: boolean;
  readonly occupancyProbability: number;
  readonly occupancyModel: string;
  readonly occupancySource: 'model' | 'fallback';
  /** The reading (device timestamp, epoch ms) this answer is for, so a device can match answers to reports. */
  readonly occupancyReadingTs: number;
}

export interface ShadowPublisher {
  /** @throws ShadowPublishError */
  publishDesired(thingName: string, desired: OccupancyDesiredState): Promise<void>;
}

export const shadowUpdateTopic = (thingName: string): string => `$aws/things/${thingName}/shadow/update`;

export function desiredUpdateDocument(desired: OccupancyDesiredState): string {
  return JSON.stringify({ state: { desired } });
}

export interface IotDataShadowPublisherOptions {
  /** Per-attempt timeout of the publish. @default 1000 */
  readonly timeoutMs?: number;
}

/** One object for every call: the transport plans the signing of a headers object once. */
const PUBLISH_HEADERS = { 'content-type': 'application/octet-stream' } as const;
const QOS_1 = { qos: '1' } as const;

/**
 * Publishes through the IoT data plane (`POST /topics/{topic}?qos=1`, SigV4 service `iotdata`) on AWS; the local
 * data plane forwards to the local broker. One retry, then ShadowPublishError.
 */
export class IotDataShadowPublisher implements ShadowPublisher {
  private readonly timeoutMs: number;

  constructor(
    private readonly http: AwsHttpTransport,
    options: IotDataShadowPublisherOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 1000;
  }

  private async publish(topic: string, payload: string): Promise<void> {
    const response = await this.http.send({
      method: 'POST',
      path: `/topics/${escapeUri(topic)}`,
      query: QOS_1,
      headers: PUBLISH_HEADERS,
      body: payload,
      timeoutMs: this.timeoutMs,
    });
    if (response.status < 200 || response.status >= 300) {
      const errorType = response.headers['x-amzn-errortype'];
      throw serviceErrorOf(
        response.status,
        Array.isArray(errorType) ? errorType[0] : errorType,
        response.body.toString('utf8'),
      );
    }
  }

  async publishDesired(thingName: string, desired: OccupancyDesiredState): Promise<void> {
    const topic = shadowUpdateTopic(thingName);
    const payload = desiredUpdateDocument(desired);
    try {
      await this.publish(topic, payload);
    } catch (first) {
      try {
        await this.publish(topic, payload);
      } catch (error) {
        throw new ShadowPublishError(`Publishing the desired state of ${thingName} failed twice`, thingName, {
          cause: error instanceof Error ? error : first,
        });
      }
    }
  }
}

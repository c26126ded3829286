import { type IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
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

const encoder = new TextEncoder();

/**
 * Publishes the desired state to the shadow's reserved update topic through the IoT data plane (Publish,
 * `POST /topics/{topic}?qos=1`): the shadow service applies it as a device's MQTT update, and the rule sees the
 * same `update/documents` it would. Retries are the SDK client's (clients.ts): a 4xx (bad topic, payload too
 * large) is not retried, it cannot succeed.
 */
export class IotDataShadowPublisher implements ShadowPublisher {
  constructor(private readonly client: IoTDataPlaneClient) {}

  async publishDesired(thingName: string, desired: OccupancyDesiredState): Promise<void> {
    try {
      await this.client.send(
        new PublishCommand({
          topic: shadowUpdateTopic(thingName),
          qos: 1,
          payload: encoder.encode(desiredUpdateDocument(desired)),
        }),
      );
    } catch (error) {
      const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
      throw new ShadowPublishError(
        `Publishing the desired state of ${thingName} failed after ${attempts} attempt(s)`,
        thingName,
        { cause: error },
      );
    }
  }
}

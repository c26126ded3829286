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

/** Publishes through the IoT data plane (on AWS; the local data plane forwards to the local broker). */
export class IotDataShadowPublisher implements ShadowPublisher {
  private readonly encoder = new TextEncoder();

  constructor(private readonly client: IoTDataPlaneClient) {}

  async publishDesired(thingName: string, desired: OccupancyDesiredState): Promise<void> {
    const command = new PublishCommand({
      topic: shadowUpdateTopic(thingName),
      qos: 1,
      payload: this.encoder.encode(desiredUpdateDocument(desired)),
    });
    try {
      await this.client.send(command);
    } catch (first) {
      try {
        await this.client.send(command);
      } catch (error) {
        throw new ShadowPublishError(`Publishing the desired state of ${thingName} failed twice`, thingName, {
          cause: error instanceof Error ? error : first,
        });
      }
    }
  }
}

import { Duplex } from 'node:stream';

/**
 * AWS IoT Core's message size limit in front of aedes, whose MQTT parser (mqtt-packet) has no maximum: it would
 * buffer a 200 MB PUBLISH whole before anyone could look at it. The guard reads only each packet's fixed header
 * (and a PUBLISH's topic length) as the bytes stream past, so an oversized packet is refused as soon as its
 * header arrives — nothing of its body is kept — and the connection is closed, as AWS IoT Core does.
 */
// https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits (payload ≤ 128 KB; AWS IoT
// Core rejects publish and connect requests larger than this) and
// https://docs.aws.amazon.com/iot/latest/developerguide/topicdata.html (CLIENT_ERROR PAYLOAD_LIMIT_EXCEEDED)
export const MQTT_MAX_PAYLOAD_BYTES = 128 * 1024;

const PUBLISH = 3;

/** Tracks MQTT packet boundaries in a byte stream; `feed` answers false at the first packet over the limit. */
export class PacketSizeTracker {
  private state: 'header' | 'length' | 'topic' | 'body' = 'header';
  private type = 0;
  private qos = 0;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private topicBytes: number[] = [];
  private skip = 0;

  constructor(readonly maxPayloadBytes: number) {}

  feed(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        if (this.skip === 0) this.state = 'header';
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.state === 'header') {
        this.type = byte >> 4;
        this.qos = (byte >> 1) & 3;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        this.state = 'length';
      } else if (this.state === 'length') {
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        // A fifth length byte is malformed; mqtt-packet refuses it and aedes closes the connection.
        if ((byte & 0x80) !== 0 && this.lengthBytes < 4) continue;
        if (this.type === PUBLISH && this.length >= 2) {
          this.topicBytes = [];
          this.state = 'topic';
        } else if (!this.accept(this.length, this.length)) return false;
      } else {
        this.topicBytes.push(byte);
        if (this.topicBytes.length < 2) continue;
        const topicLength = ((this.topicBytes[0] as number) << 8) | (this.topicBytes[1] as number);
        // MQTT 5 properties, if any, count as payload here: stricter, never more lenient, than AWS.
        const payload = this.length - 2 - topicLength - (this.qos > 0 ? 2 : 0);
        if (!this.accept(payload, this.length - 2)) return false;
      }
    }
    return true;
  }

  /** CONNECT and SUBSCRIBE are held to the same bound as a payload (AWS rejects larger connect requests). */
  private accept(size: number, rest: number): boolean {
    if (size > this.maxPayloadBytes) return false;
    this.skip = rest;
    this.state = rest > 0 ? 'body' : 'header';
    return true;
  }
}

/**
 * The socket as aedes sees it: reads pass through the tracker; at an oversized packet `onOversized` is called and
 * the socket is destroyed before the packet reaches the parser.
 */
export class GuardedConnection extends Duplex {
  private readonly tracker: PacketSizeTracker;

  constructor(
    private readonly socket: Duplex,
    maxPayloadBytes: number,
    onOversized: () => void,
  ) {
    super({ allowHalfOpen: false });
    this.tracker = new PacketSizeTracker(maxPayloadBytes);
    socket.on('data', (chunk: Buffer) => {
      if (!this.tracker.feed(chunk)) {
        onOversized();
        this.destroy();
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
    socket.pause();
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

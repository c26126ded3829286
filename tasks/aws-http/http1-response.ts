/**
 * An incremental HTTP/1.1 response reader (RFC 9112) for one connection of the signed client: the head, then the
 * body framed by Transfer-Encoding: chunked, Content-Length, or the end of the connection. No I/O: the pool feeds
 * it what the socket reads.
 */

export interface Http1Response {
  readonly status: number;
  /** Lower-case names; a repeated header's values joined with `, ` (as Node's http does). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The connection may carry the next request (HTTP/1.1 without `connection: close`, or an explicit keep-alive). */
  readonly keepAlive: boolean;
}

/** The peer broke HTTP/1.1 framing, or its answer is larger than allowed: the connection cannot be reused. */
export class Http1ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Http1ProtocolError';
  }
}

/** A head (status line + headers) longer than this is refused, as Node's default `maxHeaderSize` does. */
const MAX_HEAD_BYTES = 16 * 1024;
/** A chunk-size line (size and extensions) longer than this is refused. */
const MAX_CHUNK_LINE_BYTES = 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: .*)?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

enum Phase {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Done,
}

export class Http1ResponseReader {
  private phase = Phase.Head;
  /** Bytes read but not yet consumed (an incomplete head, chunk-size line or trailer). */
  private pending: Buffer = EMPTY;
  private status = 0;
  private headers: Record<string, string> = {};
  private keepAlive = false;
  private readonly bodyParts: Buffer[] = [];
  private bodyBytes = 0;
  /** Body bytes still due in the current Content-Length body or chunk. */
  private remaining = 0;
  private response: Http1Response | undefined;

  /** @param maxBodyBytes a longer body fails with Http1ProtocolError before it is all held in memory */
  constructor(private readonly maxBodyBytes: number) {}

  /**
   * Feeds what the connection read. Returns the response once it is complete, else undefined.
   * @throws Http1ProtocolError on malformed framing, an oversized head or body, or bytes after the response
   */
  push(chunk: Buffer): Http1Response | undefined {
    if (this.phase === Phase.Done) throw new Http1ProtocolError('bytes after the end of the answer');
    let data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = EMPTY;
    while (data.length > 0) {
      switch (this.phase as Phase) {
        case Phase.Head: {
          const end = this.find(data, HEAD_END, MAX_HEAD_BYTES, 'answer head');
          if (end < 0) return undefined;
          this.readHead(data.toString('latin1', 0, end));
          data = data.subarray(end + 4);
          break;
        }
        case Phase.Length:
          data = this.takeBody(data);
          if (this.remaining === 0) this.complete();
          break;
        case Phase.ChunkSize: {
          const end = this.find(data, CRLF, MAX_CHUNK_LINE_BYTES, 'chunk-size line');
          if (end < 0) return undefined;
          // `1a;name=value`: extensions carry nothing this client uses.
          const sizeText = data.toString('latin1', 0, end).split(';', 1)[0]?.trim() ?? '';
          if (!/^[0-9A-Fa-f]{1,12}$/.test(sizeText)) throw new Http1ProtocolError(`bad chunk size "${sizeText}"`);
          this.remaining = Number.parseInt(sizeText, 16);
          this.phase = this.remaining === 0 ? Phase.Trailers : Phase.ChunkData;
          data = data.subarray(end + 2);
          break;
        }
        case Phase.ChunkData:
          data = this.takeBody(data);
          if (this.remaining === 0) this.phase = Phase.ChunkEnd;
          break;
        case Phase.ChunkEnd: {
          if (data.length < 2) {
            this.pending = data;
            return undefined;
          }
          if (data[0] !== 0x0d || data[1] !== 0x0a) throw new Http1ProtocolError('chunk not followed by CRLF');
          this.phase = Phase.ChunkSize;
          data = data.subarray(2);
          break;
        }
        case Phase.Trailers: {
          // Trailer fields, then an empty line; their content is not used.
          const end = this.find(data, CRLF, MAX_HEAD_BYTES, 'trailer line');
          if (end < 0) return undefined;
          data = data.subarray(end + 2);
          if (end === 0) this.complete();
          break;
        }
        case Phase.UntilClose:
          this.addBody(data);
          data = EMPTY;
          break;
        case Phase.Done:
          // More than the framing said: answer what was framed, but never reuse the connection.
          this.response = { ...(this.response as Http1Response), keepAlive: false };
          data = EMPTY;
          break;
      }
    }
    return this.response;
  }

  /**
   * The connection ended. Completes a body delimited by the end of the connection.
   * @throws Http1ProtocolError if the answer was cut short
   */
  end(): Http1Response {
    if (this.phase === Phase.UntilClose) this.complete();
    if (this.response === undefined) throw new Http1ProtocolError('connection closed before the answer was complete');
    return this.response;
  }

  private readHead(head: string): void {
    const lines = head.split('\r\n');
    const match = STATUS_LINE.exec(lines[0] ?? '');
    if (match === null) throw new Http1ProtocolError(`bad status line "${(lines[0] ?? '').slice(0, 80)}"`);
    const status = Number(match[2]);
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!TOKEN.test(name)) throw new Http1ProtocolError(`bad header line "${line.slice(0, 80)}"`);
      const lower = name.toLowerCase();
      const value = line.slice(colon + 1).trim();
      const before = headers[lower];
      headers[lower] = before === undefined ? value : `${before}, ${value}`;
    }
    // 1xx (100 Continue, 103 Early Hints) are interim: the final answer's head follows.
    if (status < 200) {
      if (status === 101) throw new Http1ProtocolError('unexpected protocol switch (101)');
      return;
    }
    this.status = status;
    this.headers = headers;
    const connection = (headers.connection ?? '').toLowerCase();
    this.keepAlive = match[1] === '1' ? !/(^|,)\s*close\s*(,|$)/.test(connection) : /keep-alive/.test(connection);
    this.frameBody(headers);
  }

  /** RFC 9112 §6.3: no body for 204/304; chunked wins over Content-Length; else the length; else until close. */
  private frameBody(headers: Readonly<Record<string, string>>): void {
    if (this.status === 204 || this.status === 304) {
      this.complete();
      return;
    }
    const transferEncoding = headers['transfer-encoding'];
    if (transferEncoding !== undefined) {
      this.keepAlive = this.keepAlive && /(^|,)\s*chunked\s*$/i.test(transferEncoding);
      this.phase = /(^|,)\s*chunked\s*$/i.test(transferEncoding) ? Phase.ChunkSize : Phase.UntilClose;
      return;
    }
    const length = headers['content-length'];
    if (length !== undefined) {
      // A repeated Content-Length is joined as `n, n`: acceptable only when every copy agrees.
      const values = new Set(length.split(',').map((v) => v.trim()));
      const [only] = values;
      if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
        throw new Http1ProtocolError(`bad content-length "${length}"`);
      }
      this.remaining = Number(only);
      if (this.remaining > this.maxBodyBytes) this.tooLarge();
      if (this.remaining === 0) this.complete();
      else this.phase = Phase.Length;
      return;
    }
    this.keepAlive = false;
    this.phase = Phase.UntilClose;
  }

  /** Where `delimiter` starts in `data`; -1 (keeping `data` for the next push) while it has not arrived. */
  private find(data: Buffer, delimiter: Buffer, max: number, what: string): number {
    const end = data.indexOf(delimiter);
    if (end > max || (end < 0 && data.length > max)) throw new Http1ProtocolError(`${what} over ${max} bytes`);
    if (end < 0) this.pending = data;
    return end;
  }

  /** Takes up to `remaining` body bytes (of a Content-Length body or a chunk) from `data`; returns the rest. */
  private takeBody(data: Buffer): Buffer {
    const take = Math.min(this.remaining, data.length);
    this.addBody(data.subarray(0, take));
    this.remaining -= take;
    return data.subarray(take);
  }

  private addBody(part: Buffer): void {
    if (part.length === 0) return;
    this.bodyBytes += part.length;
    if (this.bodyBytes > this.maxBodyBytes) this.tooLarge();
    this.bodyParts.push(part);
  }

  private tooLarge(): never {
    throw new Http1ProtocolError(`answer larger than ${this.maxBodyBytes} bytes`);
  }

  private complete(): void {
    const parts = this.bodyParts;
    const body = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, this.bodyBytes);
    this.response = { status: this.status, headers: this.headers, body, keepAlive: this.keepAlive };
    this.phase = Phase.Done;
  }
}

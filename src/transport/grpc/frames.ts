/**
 * gRPC's length-prefixed messages on an HTTP/2 stream, for the node:http2 listener:
 *
 *   DATA ... [flag:1][length:4 big-endian][message:length] [flag][length][message] ...
 *
 * A message may span several DATA chunks and a chunk may hold several messages, so the
 * parser keeps the 5-byte prefix and a partial message between chunks. Each length is
 * checked against the limit before any of its bytes are kept: a client cannot make the
 * daemon buffer more than the limit plus one chunk. Given no `onMessage`, it only tracks
 * where messages start and end (the proxy relays the bytes as they come, and only needs
 * the limit enforced).
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { Code } from './codes.js';

/** Why a stream of messages is refused: the gRPC status to answer with. */
export interface FrameError {
  code: number;
  details: string;
}

export type OnMessage = (compressed: boolean, message: Buffer) => void;

const EMPTY = Buffer.alloc(0);

export class FrameParser {
  private readonly prefix = Buffer.alloc(5);
  private prefixed = 0;
  /** Bytes of the current message still expected (after its prefix). */
  private remaining = 0;
  private compressed = false;
  private parts: Buffer[] = [];
  private length = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onMessage?: OnMessage,
  ) {}

  /** True between messages: nothing of a message is pending. */
  get idle(): boolean {
    return this.prefixed === 0 && this.remaining === 0;
  }

  /** Feeds one chunk; answers the error that ends the call, if any. */
  push(chunk: Buffer): FrameError | undefined {
    let at = 0;
    const size = chunk.length;
    while (at < size) {
      if (this.remaining === 0 && this.prefixed < 5) {
        // Fast path: the whole prefix in this chunk.
        if (this.prefixed === 0 && size - at >= 5) {
          this.compressed = chunk[at] !== 0;
          this.length = chunk.readUInt32BE(at + 1);
          at += 5;
        } else {
          const take = Math.min(5 - this.prefixed, size - at);
          chunk.copy(this.prefix, this.prefixed, at, at + take);
          this.prefixed += take;
          at += take;
          if (this.prefixed < 5) return undefined;
          this.compressed = this.prefix[0] !== 0;
          this.length = this.prefix.readUInt32BE(1);
        }
        this.prefixed = 5;
        if (this.length > this.maxBytes) return tooLarge(this.length, this.maxBytes);
        this.remaining = this.length;
        if (this.length === 0) {
          this.complete(EMPTY);
          continue;
        }
      }
      const take = Math.min(this.remaining, size - at);
      this.remaining -= take;
      if (this.onMessage) {
        const piece = chunk.subarray(at, at + take);
        if (this.remaining === 0 && this.parts.length === 0) this.complete(piece);
        else {
          this.parts.push(piece);
          if (this.remaining === 0) {
            const whole = Buffer.concat(this.parts, this.length);
            this.parts = [];
            this.complete(whole);
          }
        }
      } else if (this.remaining === 0) this.complete(EMPTY);
      at += take;
    }
    return undefined;
  }

  private complete(message: Buffer): void {
    this.prefixed = 0;
    this.remaining = 0;
    this.onMessage?.(this.compressed, message);
  }
}

export function tooLarge(length: number, maxBytes: number): FrameError {
  return {
    code: Code.RESOURCE_EXHAUSTED,
    details: `received a message of ${length} bytes, larger than the gRPC listener's limit of ${maxBytes} bytes`,
  };
}

/**
 * The message itself, decompressed when its flag says so and the call named an encoding
 * we read (gzip, deflate — what grpc-js servers accept); what grpc-js answers otherwise.
 */
export function inflate(
  compressed: boolean,
  message: Buffer,
  encoding: string | undefined,
  maxBytes: number,
): Buffer | FrameError {
  if (!compressed) return message;
  if (encoding === undefined || encoding === 'identity')
    return {
      code: Code.INTERNAL,
      details: 'received a compressed message, but the call named no grpc-encoding',
    };
  try {
    if (encoding === 'gzip') return gunzipSync(message, { maxOutputLength: maxBytes });
    if (encoding === 'deflate') return inflateSync(message, { maxOutputLength: maxBytes });
  } catch (error) {
    return (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
      ? {
          code: Code.RESOURCE_EXHAUSTED,
          details: `received a message that decompresses to more than the gRPC listener's limit of ${maxBytes} bytes`,
        }
      : { code: Code.INTERNAL, details: 'failed to decompress the message' };
  }
  return { code: Code.UNIMPLEMENTED, details: `received a message compressed with unsupported encoding "${encoding}"` };
}

/** One message with its prefix, ready for a single DATA write. */
export function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** The 5-byte prefix alone (uncompressed), for a large message written after it without a copy. */
export function framePrefix(length: number): Buffer {
  const prefix = Buffer.allocUnsafe(5);
  prefix[0] = 0;
  prefix.writeUInt32BE(length, 1);
  return prefix;
}

/** grpc-message is percent-encoded: bytes outside printable ASCII, and `%` itself. */
export function encodeGrpcMessage(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) return percentEncode(text);
  }
  return text;
}

function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(byte);
  }
  return out;
}

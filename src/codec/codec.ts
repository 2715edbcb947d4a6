/**
 * A codec turns bytes into values and back. Typed codecs use the message type (enums by
 * name, int64 exact); untyped ones carry dynamic JSON-like values.
 *
 * Runtime values are plain JS: objects, arrays, strings, booleans, numbers, and `bigint`
 * for integers beyond 2^53 (so int64 stays exact end to end), `Uint8Array` for bytes.
 */
import type { MessageType } from '../schema/types.js';
import { MaestroError } from '../errors.js';
import type { DecodeLimits } from './limits.js';

export interface Codec {
  /** Registry key: json, proto, form, xml. */
  readonly name: string;
  /** Content-Type written on encoded bodies. */
  readonly contentType: string;
  /**
   * Decodes a body. With a type, the value is checked and normalised against it
   * (unknown fields dropped, enums as names, int64 exact); a bad body throws CodecError.
   * An empty body decodes to an empty object. `limits` bound what the body may decode
   * into (DEFAULT_LIMITS when absent); a body over one throws LimitError.
   */
  decode(body: Uint8Array, type?: MessageType, limits?: DecodeLimits): Record<string, unknown>;
  /** Encodes a value, typed when a type is given (absent fields omitted). */
  encode(value: unknown, type?: MessageType): Uint8Array | string;
  /**
   * The encoder of one type, prepared once (a compiled JSON writer, say) for callers that
   * know the type ahead of their requests; writes what `encode(value, type)` writes.
   * Optional: without it, callers use `encode`.
   */
  prepare?(type: MessageType): (value: unknown) => Uint8Array | string;
}

/** `codec`'s encoder of `type` (prepared when the codec can), or of untyped values. */
export function encoderOf(codec: Codec, type: MessageType | undefined): (value: unknown) => Uint8Array | string {
  if (type && codec.prepare) return codec.prepare(type);
  return (value) => codec.encode(value, type);
}

/** A body could not be decoded or does not fit its type; `field` names the culprit. */
export class CodecError extends MaestroError {
  constructor(
    message: string,
    readonly field?: string,
    options?: ErrorOptions,
  ) {
    super('MAESTRO_ERR_CODEC', message, options);
  }
}

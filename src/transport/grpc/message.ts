/**
 * Binary protobuf for one message type, built once per method. The conversion between
 * runtime values (enums by name, int64 as number or bigint, bytes as Uint8Array) and
 * protobufjs is the proto codec's job; this only adapts it to the Buffers grpc-js moves.
 *
 * A side without a type (an untyped flow served or called over gRPC) is the empty
 * message: it encodes to no bytes and decodes to `{}`, whatever arrived.
 */
import type { Codec } from '../../codec/codec.js';
import { codecs } from '../../codec/index.js';
import { CallError } from '../../errors.js';
import type { MessageType } from '../../schema/types.js';

export interface MessageCodec {
  /** Full name of the type, or '' for the empty message. */
  readonly typeName: string;
  /** Throws when the value does not fit the type. */
  encode(value: unknown): Buffer;
  /** Throws when the bytes are not a valid message of the type. */
  decode(bytes: Uint8Array): Record<string, unknown>;
}

const EMPTY = Buffer.alloc(0);

const emptyMessage: MessageCodec = {
  typeName: '',
  encode: () => EMPTY,
  decode: () => ({}),
};

let protoCodec: Codec | undefined;

function proto(): Codec {
  protoCodec ??= codecs.get('proto');
  if (!protoCodec) throw new Error('the proto codec is not registered');
  return protoCodec;
}

export function messageCodec(type: MessageType | undefined): MessageCodec {
  if (!type) return emptyMessage;
  const codec = proto();
  return {
    typeName: type.fullName,
    encode(value: unknown): Buffer {
      const bytes = codec.encode(value ?? {}, type);
      if (typeof bytes === 'string') return Buffer.from(bytes, 'binary');
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    decode(bytes: Uint8Array): Record<string, unknown> {
      return codec.decode(bytes, type);
    },
  };
}

/**
 * An upstream's message decoded with `response`, or the 502 every gRPC caller answers when
 * it is not a valid one (`verb`: "answered with" for unary answers, "sent" for streamed ones).
 */
export function decodeUpstreamMessage(
  response: MessageCodec,
  bytes: Uint8Array,
  what: string,
  verb: 'answered with' | 'sent',
): Record<string, unknown> {
  try {
    return response.decode(bytes);
  } catch (error) {
    throw new CallError(
      `upstream ${what} ${verb} a message that is not a valid ${response.typeName}: ${(error as Error).message}`,
      502,
      { cause: error },
    );
  }
}

/**
 * Protocol buffers binary through protobufjs, driven by the loaded types (no generated
 * code). Values are converted to what protobufjs expects on the way in (enums by
 * number, big int64 as decimal strings) and back to runtime values on the way out
 * (enums by name, int64 as number or bigint, absent fields omitted).
 */
import protobuf from 'protobufjs';
import type { FieldType, MessageType, ScalarKind } from '../schema/types.js';
import { CodecError, type Codec } from './codec.js';
import { DEFAULT_LIMITS, LimitError, type DecodeLimits } from './limits.js';
import { isWide, plainBytes } from './scalars.js';
import { defineKey } from './values.js';
import { ENCODE_PROTO, normalize } from './typed.js';

interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toString(): string;
  toNumber(): number;
}

/** int64 from protobufjs (a Long, or a number when long.js is absent) to number|bigint. */
function fromLong(value: unknown): unknown {
  if (typeof value === 'number') return value;
  const long = value as LongLike;
  const n = long.toNumber();
  return Number.isSafeInteger(n) ? n : BigInt(long.toString());
}

/**
 * protobufjs decodes 64-bit map keys into 8-character "hash" strings (LongBits.toHash);
 * turn them back into decimal keys.
 */
function mapKey(key: string, kind: ScalarKind | undefined): string {
  if (!kind || !isWide(kind)) return key;
  return protobuf.util.LongBits.fromHash(key)
    .toLong(kind === 'uint64' || kind === 'fixed64')
    .toString();
}

function element(value: unknown, field: FieldType, depth: number, maxDepth: number): unknown {
  if (field.message) return fromMessage(value as protobuf.Message, field.message, maxDepth, depth + 1);
  if (field.enum) return field.enum.names.get(value as number) ?? value;
  if (field.scalar && isWide(field.scalar)) return fromLong(value);
  return value instanceof Uint8Array ? plainBytes(value) : value;
}

/**
 * A decoded protobufjs message to runtime values. `depth` counts nested messages: a
 * recursive type nested past `maxDepth` is refused, as deep JSON is, because what walks
 * the value later (templates, encoders) recurses too.
 */
function fromMessage(
  message: protobuf.Message,
  type: MessageType,
  maxDepth: number,
  depth = 1,
): Record<string, unknown> {
  if (depth > maxDepth)
    throw new LimitError(
      'maxDepth',
      maxDepth,
      `protobuf body for ${type.fullName} nested more than ${maxDepth} levels deep`,
    );
  const out: Record<string, unknown> = {};
  const source = message as unknown as Record<string, unknown>;
  for (const field of type.fieldList) {
    // Decoded messages carry defaults on the prototype: only own properties were sent.
    if (!Object.hasOwn(source, field.name)) continue;
    const value = source[field.name];
    if (value === null || value === undefined) continue;
    if (field.kind === 'map') {
      const entries = value as Record<string, unknown>;
      const keys = Object.keys(entries);
      if (keys.length === 0) continue;
      const map: Record<string, unknown> = {};
      for (const key of keys) defineKey(map, mapKey(key, field.mapKey), element(entries[key], field, depth, maxDepth));
      out[field.name] = map;
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length === 0) continue;
      const list: unknown[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) list[i] = element(items[i], field, depth, maxDepth);
      out[field.name] = list;
    } else {
      out[field.name] = element(value, field, depth, maxDepth);
    }
  }
  return out;
}

export class ProtobufCodec implements Codec {
  readonly name = 'proto';
  readonly contentType = 'application/x-protobuf';

  decode(body: Uint8Array, type?: MessageType, limits?: DecodeLimits): Record<string, unknown> {
    if (body.byteLength === 0) return {};
    if (!type) throw new CodecError('the proto codec needs a message type');
    try {
      // protobufjs reads a Node Buffer with a reader that cuts a truncated string short
      // instead of failing; a plain Uint8Array view gets the bounds-checked reader.
      const message = type.proto.decode(
        Buffer.isBuffer(body) ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : body,
      );
      // Inside the try: a recursive type nested thousands deep overflows the stack here.
      return fromMessage(message, type, limits?.maxDepth ?? DEFAULT_LIMITS.maxDepth);
    } catch (error) {
      if (error instanceof LimitError) throw error;
      const detail = error instanceof RangeError ? 'nested too deeply' : (error as Error).message;
      throw new CodecError(`malformed protobuf body for ${type.fullName}: ${detail}`, undefined, { cause: error });
    }
  }

  encode(value: unknown, type?: MessageType): Uint8Array {
    if (!type) throw new CodecError('the proto codec needs a message type');
    return type.proto.encode(normalize(value, type, ENCODE_PROTO)).finish();
  }
}

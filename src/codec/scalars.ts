/**
 * Scalar coercion shared by every codec: one place decides what an int32, an int64, a
 * bool or bytes may be written as, so JSON, form and XML bodies fail with the same
 * messages. Integers beyond 2^53 are `bigint`, smaller ones `number`.
 */
import type { ScalarKind } from '../schema/types.js';
import { encodeBase64 } from '../shared/values.js';

/** Where a value comes from; decides how lenient coercion is. */
export type Input = 'json' | 'text' | 'value';

/**
 * Thrown by coercion; the message walker adds the field path on the way up and turns it
 * into a CodecError at the top (no path strings are built unless something fails).
 */
export class Mismatch extends Error {
  readonly segments: string[] = [];
  constructor(
    readonly expected: string,
    readonly got: unknown,
    readonly note = '',
  ) {
    super(expected);
  }

  /** `field "items[2].sku": expected uint32, got string "x"`. */
  describe(): string {
    return `${this.path() ? `field "${this.path()}": ` : ''}expected ${this.expected}, got ${describeValue(this.got)}${this.note}`;
  }

  path(): string {
    let out = '';
    for (const segment of this.segments) out += out === '' || segment.startsWith('[') ? segment : `.${segment}`;
    return out;
  }
}

/** `string "old"`, `number 1.5`, `object`, … for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'bytes';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'bigint':
      return `number ${String(value)}`;
    case 'boolean':
      return `boolean ${String(value)}`;
    default:
      return typeof value;
  }
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;
const TRUE = new Set(['true', 'True', 'TRUE', 't', 'T', '1']);
const FALSE = new Set(['false', 'False', 'FALSE', 'f', 'F', '0']);

interface IntRange {
  min: bigint;
  max: bigint;
  /** The same bounds as numbers (exact for 32-bit; for 64-bit only safe integers meet them). */
  minNumber: number;
  maxNumber: number;
  wide: boolean;
}

function range(min: bigint, max: bigint, wide: boolean): IntRange {
  return { min, max, minNumber: Number(min), maxNumber: Number(max), wide };
}

const INT32 = range(-(2n ** 31n), 2n ** 31n - 1n, false);
const UINT32 = range(0n, 2n ** 32n - 1n, false);
const INT64 = range(-(2n ** 63n), 2n ** 63n - 1n, true);
const UINT64 = range(0n, 2n ** 64n - 1n, true);

const RANGES: Partial<Record<ScalarKind, IntRange>> = {
  int32: INT32,
  sint32: INT32,
  sfixed32: INT32,
  uint32: UINT32,
  fixed32: UINT32,
  int64: INT64,
  sint64: INT64,
  sfixed64: INT64,
  uint64: UINT64,
  fixed64: UINT64,
};

/** Whether a kind is a 64-bit integer (kept exact as bigint beyond 2^53). */
export function isWide(kind: ScalarKind): boolean {
  return RANGES[kind]?.wide === true;
}

/** An integer as number when safe, else bigint; range-checked. */
function integer(value: unknown, kind: ScalarKind, range: IntRange): number | bigint {
  let big: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Mismatch(kind, value);
    if (Number.isSafeInteger(value)) {
      if (value < range.minNumber || value > range.maxNumber) throw new Mismatch(kind, value, ' (out of range)');
      return value;
    }
    big = BigInt(value);
  } else if (typeof value === 'bigint') {
    big = value;
  } else if (typeof value === 'string' && INTEGER.test(value)) {
    // proto3 JSON writes 64-bit integers as strings; text codecs have nothing else.
    if (value.length < 16) return integer(Number(value), kind, range);
    big = BigInt(value);
  } else {
    throw new Mismatch(kind, value);
  }
  if (big < range.min || big > range.max) throw new Mismatch(kind, value, ' (out of range)');
  const small = Number(big);
  return Number.isSafeInteger(small) ? small : big;
}

function float(value: unknown, kind: ScalarKind): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    if (DECIMAL.test(value)) return Number(value);
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  }
  throw new Mismatch(kind, value);
}

function bool(value: unknown, input: Input): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && input !== 'json') {
    if (TRUE.has(value)) return true;
    if (FALSE.has(value)) return false;
  }
  throw new Mismatch('bool', value);
}

function string(value: unknown, input: Input): string {
  if (typeof value === 'string') return value;
  // A mapped output may put a number into a string field; a JSON request may not.
  if (input === 'value' && (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean'))
    return String(value);
  throw new Mismatch('string', value);
}

/** bytes are base64 (standard or URL-safe) in JSON, form and XML. */
export function decodeBase64(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string' && BASE64.test(value)) return plainBytes(Buffer.from(value, 'base64'));
  throw new Mismatch('bytes (base64)', value);
}

/**
 * A plain Uint8Array view of a Buffer: a Buffer in a runtime value would serialise as
 * `{"type":"Buffer","data":[…]}` wherever a generic JSON writer meets it.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}

export { encodeBase64 };

/** Converts a scalar; throws Mismatch. Bytes come back as Uint8Array. */
export function coerceScalar(value: unknown, kind: ScalarKind, input: Input): unknown {
  const bounds = RANGES[kind];
  if (bounds) return integer(value, kind, bounds);
  switch (kind) {
    case 'double':
    case 'float':
      return float(value, kind);
    case 'bool':
      return bool(value, input);
    case 'string':
      return string(value, input);
    default:
      return decodeBase64(value);
  }
}

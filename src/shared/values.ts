/**
 * How runtime values are read and written, in one place for every layer (codecs,
 * templates, functions, listeners): text of a value, the one BigInt-safe JSON writer,
 * numeric coercion, the plain-object check and base64 of bytes. Imports nothing of ours,
 * so anything may import it.
 *
 * Runtime values are plain JS: objects, arrays, strings, booleans, numbers, `bigint`
 * (int64 beyond 2^53, kept exact) and Uint8Array (bytes).
 */

export type Numeric = number | bigint;

/** An object that is neither an array nor bytes. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Base64 of bytes. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const NUMERIC_STRING = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** number or bigint for numbers, bigints and numeric strings; undefined otherwise. */
export function toNumeric(value: unknown): Numeric | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'string' && NUMERIC_STRING.test(value)) {
    const n = Number(value);
    return Number.isInteger(n) && !Number.isSafeInteger(n) && !/[.eE]/.test(value) ? BigInt(value) : n;
  }
  return undefined;
}

/**
 * Text of a value placed inside a string: strings as-is; numbers, bigints and booleans as
 * written; null and absent as ''; bytes as base64 (as proto3 JSON writes them); objects
 * and arrays as JSON.
 */
export function renderText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'undefined':
      return '';
    case 'object':
      if (value === null) return '';
      if (value instanceof Uint8Array) return encodeBase64(value);
      return jsonText(value);
    default:
      return String(value);
  }
}

const BIGINT_ERROR = /BigInt/;

/** Bytes as base64; everything else as JSON.stringify writes it. */
function replaceBytes(this: unknown, _key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? encodeBase64(value) : value;
}

/**
 * JSON text of a runtime value: bigint as plain digits (exact, and still a JSON number,
 * as Semaphore writes int64), bytes as base64, absent as `null`. Native JSON.stringify
 * is several times faster than a writer in JavaScript; it throws on a bigint only, and
 * then the exact writer takes over. `bytes = false` skips the replacer for values known
 * to hold no Uint8Array (typed output, where bytes are base64 already).
 */
export function jsonText(value: unknown, bytes = true): string {
  try {
    // A replacer function costs JSON.stringify about twice the time; most values hold no
    // bytes, and finding that out is cheaper than the replacer (bench: notes/reqpath-s3.md).
    return (bytes && mayHoldBytes(value, 0) ? JSON.stringify(value, replaceBytes) : JSON.stringify(value)) ?? 'null';
  } catch (error) {
    if (error instanceof TypeError && BIGINT_ERROR.test(error.message)) return writeJson(value);
    throw error;
  }
}

/** Deeper than this, the replacer is used without looking further. */
const BYTES_SCAN_DEPTH = 32;

/**
 * Whether JSON.stringify could meet a Uint8Array in `value`: true for bytes, for an object
 * with `toJSON` (its result is not looked at), and beyond BYTES_SCAN_DEPTH (cycles too);
 * false only when the replacer would return every value unchanged.
 */
function mayHoldBytes(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (value instanceof Uint8Array || depth > BYTES_SCAN_DEPTH) return true;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (mayHoldBytes(value[i], depth + 1)) return true;
    return false;
  }
  for (const key in value) if (mayHoldBytes((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/**
 * The exact writer: follows JSON.stringify (undefined and functions left out of objects
 * and null in arrays, non-finite numbers null, `toJSON` honoured) and also writes bigint
 * and Uint8Array.
 */
function writeJson(value: unknown): string {
  return write(value) ?? 'null';
}

function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return writeArray(value);
      if (value instanceof Uint8Array) return `"${encodeBase64(value)}"`;
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
        return write((value as { toJSON(): unknown }).toJSON());
      return writeObject(value as Record<string, unknown>);
    default:
      return undefined;
  }
}

function writeArray(items: unknown[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ',';
    out += write(items[i]) ?? 'null';
  }
  return `${out}]`;
}

function writeObject(object: Record<string, unknown>): string {
  let out = '{';
  let first = true;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const written = write(object[key]);
    if (written === undefined) continue;
    out += first ? '' : ',';
    out += `${JSON.stringify(key)}:${written}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * How values become text: in text templates ("Hello {{ input:name }}"), sprintf's %s/%v
 * and json_encode. Kept in one place so every path renders a value the same way.
 */
import { writeJson } from '../codec/json-write.js';
import { encodeBase64 } from '../codec/scalars.js';

/**
 * Text of a value placed inside a string: strings as-is; numbers, bigints and booleans as
 * written; null and absent as ''; bytes as base64 (as proto3 JSON writes them);
 * objects and arrays as JSON.
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
      if (value instanceof Uint8Array) return bytesToBase64(value);
      return jsonText(value);
    default:
      return String(value);
  }
}

/**
 * JSON text of a value; bigints are written as plain digits (exact, as Semaphore writes
 * int64), absent as `null`. JSON.stringify is used whenever it can be: only a value
 * holding a bigint, which it refuses, takes the slower hand-written path.
 */
export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    if (!(error instanceof TypeError) || !/BigInt/i.test(error.message)) throw error;
    return writeJson(value);
  }
}

/** Base64 of bytes (one implementation, the codecs'). */
export const bytesToBase64 = encodeBase64;

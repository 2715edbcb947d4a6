/**
 * JSON, as Semaphore speaks it: enums by name, int64/uint64 as JSON numbers with every
 * digit (bigint beyond 2^53), bytes as base64, absent fields omitted, unknown input
 * fields ignored.
 */
import type { MessageType } from '../schema/types.js';
import { CodecError, type Codec } from './codec.js';
import { JsonSyntaxError, parseJsonExact } from './json-parse.js';
import { jsonText } from '../shared/values.js';
import { DEFAULT_LIMITS, LimitError, type DecodeLimits } from './limits.js';
import { describeValue } from './scalars.js';
import { bodyText, isBlank, isPlainObject } from './values.js';
import { DECODE_JSON, normalize } from './typed.js';
import { writerFor } from './json-writer.js';

/** A run of 16+ digits may be an integer JSON.parse would round. */
const LONG_DIGITS = /\d{16}/;

/**
 * Parses JSON text; integers beyond 2^53 stay exact. Throws CodecError, LimitError when
 * nested deeper than `maxDepth`. A JSON value is never much larger in memory than its
 * text (every element takes a character or more), so depth is the only bound needed.
 */
export function parseJson(text: string, maxDepth: number = DEFAULT_LIMITS.maxDepth): unknown {
  // Each level takes two characters at least: shorter texts cannot be too deep.
  if (text.length > 2 * maxDepth && nestsDeeper(text, maxDepth)) {
    throw new LimitError('maxDepth', maxDepth, `malformed JSON: nested more than ${maxDepth} levels deep`);
  }
  if (!LONG_DIGITS.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Fall through: the exact parser finds the position of the error.
    }
  }
  try {
    return parseJsonExact(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new CodecError(error.message, undefined, { cause: error });
    if (error instanceof RangeError)
      throw new CodecError('malformed JSON: nested too deeply', undefined, { cause: error });
    throw error;
  }
}

/** Whether brackets outside strings nest deeper than `limit` (the syntax is checked later). */
function nestsDeeper(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // Skip a string, escapes included.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
    } else if (c === 91 || c === 123) {
      if (++depth > limit) return true;
    } else if (c === 93 || c === 125) {
      depth--;
    }
  }
  return false;
}

/** JSON text of a runtime value (bigint as digits, bytes as base64): the shared writer. */
export const stringifyJson = jsonText;

export class JsonCodec implements Codec {
  readonly name = 'json';
  readonly contentType = 'application/json';

  decode(body: Uint8Array, type?: MessageType, limits?: DecodeLimits): Record<string, unknown> {
    const text = bodyText(body);
    if (isBlank(text)) return {};
    const value = parseJson(text, limits?.maxDepth);
    if (type) return normalize(value, type, DECODE_JSON);
    if (!isPlainObject(value)) throw new CodecError(`expected a JSON object, got ${describeValue(value)}`);
    return value;
  }

  encode(value: unknown, type?: MessageType): string {
    // Typed: the type's prepared writer (json-writer.ts), the same text as
    // stringifyJson(normalize(value, type, ENCODE_JSON), false) without the copy.
    if (type) return writerFor(type)(value);
    return stringifyJson(value);
  }

  prepare(type: MessageType): (value: unknown) => string {
    return writerFor(type);
  }
}

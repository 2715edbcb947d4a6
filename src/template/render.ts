/**
 * How values become text: in text templates ("Hello {{ input:name }}"), sprintf's %s/%v
 * and json_encode. Kept in one place so every path renders a value the same way.
 */

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
    return writeJson(value) ?? 'null';
  }
}

function writeJson(input: unknown): string | undefined {
  let value = input;
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof Uint8Array) return JSON.stringify(bytesToBase64(value));
      if (Array.isArray(value)) return `[${value.map((item: unknown) => writeJson(item) ?? 'null').join(',')}]`;
      const fields: string[] = [];
      for (const [key, item] of Object.entries(value)) {
        const text = writeJson(item);
        if (text !== undefined) fields.push(`${JSON.stringify(key)}:${text}`);
      }
      return `{${fields.join(',')}}`;
    }
    default:
      return undefined; // undefined, functions and symbols are left out, as JSON.stringify does
  }
}

export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

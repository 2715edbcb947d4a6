/**
 * JSON text for runtime values that JSON.stringify cannot write: `bigint` as plain
 * digits (int64 stays exact and stays a JSON number, as Semaphore writes it) and
 * `Uint8Array` as base64. Otherwise it follows JSON.stringify: undefined and functions
 * are left out of objects and become null in arrays, non-finite numbers become null,
 * `toJSON` is honoured.
 */
import { encodeBase64 } from './scalars.js';

export function writeJson(value: unknown): string {
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
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return write((value as { toJSON(): unknown }).toJSON());
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

/** Small helpers on bodies and runtime values, shared by the codecs. */

/**
 * How deep a decoded body may nest. Parsers read any depth, but the encoders and
 * template functions that later walk the value recurse, and the stack is finite.
 */
export const MAX_DEPTH = 512;

/** UTF-8 text of a body, without a leading byte order mark. */
export function bodyText(body: Uint8Array): string {
  const text = Buffer.isBuffer(body)
    ? body.toString('utf8')
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Empty or only whitespace: such a body decodes to an empty object. */
export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return false;
  }
  return true;
}

/** An object that is neither an array nor bytes (the one check, in shared/values.ts). */
export { isPlainObject } from '../shared/values.js';

/** Sets a key taken from a body (it may be `__proto__`) without touching the prototype. */
export function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

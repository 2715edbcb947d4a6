/**
 * application/x-www-form-urlencoded. Keys may be dotted (`address.street=Main`) for
 * nested messages and indexed (`items[0].sku=A`, or `tags[]=a`) for lists; a key given
 * twice becomes a list. Every value is a string until a type converts it, with the same
 * checks as JSON (typed.ts). Map keys containing `.` or `[` cannot be expressed.
 *
 * Bounded (limits.ts): at most `maxFields` pairs, indexes up to `maxArrayIndex`, keys
 * nested up to `maxDepth`. Lists are compacted once parsed, as `qs` does
 * (`a[1]=x&a[7]=y` → `["x", "y"]`), so a list never holds more elements than the body
 * has pairs, whatever indexes it names.
 */
import type { MessageType } from '../schema/types.js';
import { CodecError, type Codec } from './codec.js';
import { encodeBase64 } from './scalars.js';
import { DECODE_TEXT, ENCODE_JSON, normalize } from './typed.js';
import { countPairs, DEFAULT_LIMITS, LimitError, type DecodeLimits } from './limits.js';
import { bodyText, defineKey, isBlank, isPlainObject } from './values.js';

const PLUS = /\+/g;
const INDEXED = /^(.*)\[(\d*)\]$/;

/** One parse: its limits, and every list it made (compacted at the end). */
interface FormParse {
  limits: DecodeLimits;
  lists: unknown[][];
}

function unescape(text: string): string {
  if (text.indexOf('%') === -1 && text.indexOf('+') === -1) return text;
  try {
    return decodeURIComponent(text.replace(PLUS, ' '));
  } catch {
    throw new CodecError(`malformed form body: invalid percent-encoding in ${JSON.stringify(text.slice(0, 40))}`);
  }
}

function own(target: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(target, key) ? target[key] : undefined;
}

/** A list under `name` in `container`, and the index a `name[i]` or `name[]` segment points at. */
function slot(
  container: Record<string, unknown>,
  segment: string,
  key: string,
  parse: FormParse,
): { list: unknown[]; index: number } | undefined {
  const match = INDEXED.exec(segment);
  if (!match) return undefined;
  const name = match[1]!;
  let list = own(container, name);
  if (list === undefined) {
    defineKey(container, name, (list = []));
    parse.lists.push(list as unknown[]);
  }
  if (!Array.isArray(list)) throw new CodecError(`malformed form body: "${key}" mixes a list and a value`, name);
  const max = parse.limits.maxArrayIndex;
  // Compared as text first: `a[99999999999999999999]` is no number worth converting.
  const index = match[2] === '' ? list.length : match[2]!.length > 15 ? Infinity : Number(match[2]);
  if (index > max)
    throw new LimitError('maxArrayIndex', max, `form key "${shorten(key)}": index too large, above ${max}`);
  return { list, index };
}

function shorten(key: string): string {
  return key.length > 60 ? `${key.slice(0, 60)}…` : key;
}

/** Drops the holes a sparse `name[i]` list left, keeping order (what `qs` does). */
function compact(list: unknown[]): void {
  const present = Object.keys(list);
  if (present.length === list.length) return;
  const dense = present.map((k) => list[Number(k)]);
  list.length = 0;
  for (const item of dense) list.push(item);
}

function assign(target: Record<string, unknown>, key: string, value: string, parse: FormParse): void {
  if (key.indexOf('.') === -1 && key.indexOf('[') === -1) {
    const existing = own(target, key);
    if (existing === undefined) defineKey(target, key, value);
    else if (Array.isArray(existing)) existing.push(value);
    else if (typeof existing === 'string') defineKey(target, key, [existing, value]);
    else throw new CodecError(`malformed form body: "${key}" is both a value and an object`, key);
    return;
  }
  const segments = key.split('.');
  const depth = parse.limits.maxDepth;
  if (segments.length > depth)
    throw new LimitError('maxDepth', depth, `form key "${shorten(key)}" is nested more than ${depth} levels deep`);
  let container = target;
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    const at = slot(container, segment, key, parse);
    let next = at ? at.list[at.index] : own(container, segment);
    if (next === undefined) {
      next = {};
      if (at) at.list[at.index] = next;
      else defineKey(container, segment, next);
    }
    if (!isPlainObject(next))
      throw new CodecError(`malformed form body: "${key}" is both a value and an object`, segment);
    container = next;
  }
  const last = segments[segments.length - 1]!;
  const at = slot(container, last, key, parse);
  if (at) at.list[at.index] = value;
  else assign(container, last, value, parse);
}

/** Parses a form body into strings, lists and nested objects. Throws LimitError over a limit. */
export function parseForm(text: string, limits: DecodeLimits = DEFAULT_LIMITS): Record<string, unknown> {
  // Counted before anything is decoded: a body over the limit costs one scan.
  const pairs = countPairs(text, limits.maxFields);
  if (pairs > limits.maxFields)
    throw new LimitError('maxFields', limits.maxFields, `form body has more than ${limits.maxFields} fields`);
  const parse: FormParse = { limits, lists: [] };
  const out: Record<string, unknown> = {};
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start) {
      const eq = text.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const key = unescape(text.slice(start, hasValue ? eq : end));
      if (key !== '') assign(out, key, hasValue ? unescape(text.slice(eq + 1, end)) : '', parse);
    }
    start = end + 1;
  }
  for (const list of parse.lists) compact(list);
  return out;
}

function flatten(prefix: string, value: unknown, parts: string[]): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      // Lists of scalars repeat the key; lists of messages need the index.
      flatten(isPlainObject(item) || Array.isArray(item) ? `${prefix}[${i}]` : prefix, item, parts);
    }
  } else if (value instanceof Uint8Array) {
    parts.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(encodeBase64(value))}`);
  } else if (typeof value === 'object') {
    for (const key of Object.keys(value))
      flatten(prefix ? `${prefix}.${key}` : key, (value as Record<string, unknown>)[key], parts);
  } else {
    parts.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(String(value))}`);
  }
}

export class FormCodec implements Codec {
  readonly name = 'form';
  readonly contentType = 'application/x-www-form-urlencoded';

  decode(body: Uint8Array, type?: MessageType, limits?: DecodeLimits): Record<string, unknown> {
    const text = bodyText(body);
    if (isBlank(text)) return {};
    const form = parseForm(text.trim(), limits);
    return type ? normalize(form, type, DECODE_TEXT) : form;
  }

  encode(value: unknown, type?: MessageType): string {
    const flat = type ? normalize(value, type, ENCODE_JSON) : value;
    if (!isPlainObject(flat)) throw new CodecError('the form codec encodes objects only');
    const parts: string[] = [];
    flatten('', flat, parts);
    return parts.join('&');
  }
}

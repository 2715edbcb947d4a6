/**
 * A JSON writer prepared once per message type: the text of a typed value in one pass,
 * without the normalized copy that `normalize()` builds and `JSON.stringify` then walks.
 *
 *   generic:  value ─normalize(type, ENCODE_JSON)─▶ new object ─jsonText─▶ text
 *   prepared: value ─writerFor(type)───────────────────────────────────────▶ text
 *
 * The prepared writer must write the same bytes as the generic path for every value
 * (test/unit/json-writer.test.ts checks it on random values of random schemas): fields in
 * declaration order, absent (null/undefined) fields left out, enums by name (unknown
 * numbers as numbers), int64 as exact digits, bytes as base64, non-finite numbers as
 * strings. Whatever it does not handle alone it hands to the generic code: map fields
 * are converted by typed.ts and written by the shared writer, and any value that does
 * not fit its type is re-run through the generic path, which throws the CodecError
 * naming the field (no path is built unless something fails).
 */
import type { EnumType, FieldType, MessageType, ScalarKind } from '../schema/types.js';
import { jsonText } from '../shared/values.js';
import { coerceScalar, encodeBase64, Mismatch } from './scalars.js';
import { ENCODE_JSON, map, normalize, planOf, read, type FieldPlan } from './typed.js';
import { isPlainObject } from './values.js';

/** Writes a value of one message type as JSON text; throws CodecError when it does not fit. */
export type JsonWriter = (value: unknown) => string;

/** Writes one field's (present) value; returns its JSON text. */
type Write = (value: unknown) => string;

interface FieldWriter {
  readonly plan: FieldPlan;
  /** `"name":`, escaped once. */
  readonly key: string;
  readonly write: Write;
  /** `__proto__`: the generic path assigns it to a fresh object, where it never shows. */
  readonly hidden: boolean;
}

const writers = new WeakMap<MessageType, JsonWriter>();

/** The prepared writer of `type` (built on first use, then shared). */
export function writerFor(type: MessageType): JsonWriter {
  let writer = writers.get(type);
  if (!writer) {
    const write = messageWriter(type);
    writer = (value) => {
      try {
        return write(value);
      } catch {
        // Does not fit (or threw on the way): the generic path names the field, or
        // writes what it writes — the same text either way.
        return jsonText(normalize(value, type, ENCODE_JSON), false);
      }
    };
    writers.set(type, writer);
  }
  return writer;
}

/** Writers of nested types, built on first use so that recursive types terminate. */
const inner = new WeakMap<MessageType, Write>();

function messageWriter(type: MessageType): Write {
  const known = inner.get(type);
  if (known) return known;
  let fields: FieldWriter[] | undefined;
  const write: Write = (value) => {
    if (!isPlainObject(value)) throw new Mismatch(`message ${type.fullName}`, value);
    fields ??= planOf(type).map(fieldWriter);
    let out = '{';
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const raw = read(value, field.plan);
      if (raw === undefined || raw === null) continue;
      const text = field.write(raw);
      if (field.hidden) continue;
      out += out.length === 1 ? field.key : `,${field.key}`;
      out += text;
    }
    return `${out}}`;
  };
  inner.set(type, write);
  return write;
}

function fieldWriter(plan: FieldPlan): FieldWriter {
  const field = plan.field;
  let write: Write;
  if (field.kind === 'map') write = (raw) => jsonText(map(raw, field, ENCODE_JSON), false);
  else {
    const one = elementWriter(field);
    write = field.repeated ? listWriter(field, one) : one;
  }
  return { plan, key: `${JSON.stringify(plan.name)}:`, write, hidden: plan.name === '__proto__' };
}

function listWriter(field: FieldType, one: Write): Write {
  return (raw) => {
    if (!Array.isArray(raw)) throw new Mismatch('list', raw, field.name);
    let out = '[';
    for (let i = 0; i < raw.length; i++) out += i === 0 ? one(raw[i]) : `,${one(raw[i])}`;
    return `${out}]`;
  };
}

function elementWriter(field: FieldType): Write {
  if (field.message) {
    const type = field.message;
    return (value) => messageWriter(type)(value);
  }
  if (field.enum) return enumWriter(field.enum);
  return scalarWriter(field.scalar ?? 'string');
}

const ENUM_NUMBER = /^-?\d+$/;

/** As typed.ts enumValue() for ENCODE_JSON: a known name, or a number (by its name when known). */
function enumWriter(type: EnumType): Write {
  const byNumber = (value: number): string => {
    const name = type.names.get(value);
    return name === undefined ? String(value) : JSON.stringify(name);
  };
  return (value) => {
    if (typeof value === 'string') {
      if (type.values.has(value)) return JSON.stringify(value);
      if (ENUM_NUMBER.test(value)) {
        const n = Number(value);
        if (Number.isInteger(n) && Math.abs(n) <= 2 ** 31) return byNumber(n);
      }
    } else if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 31) {
      return byNumber(value);
    }
    throw new Mismatch(`enum ${type.fullName}`, value);
  };
}

/** As typed.ts scalar() for ENCODE_JSON, then written as JSON.stringify would. */
function scalarWriter(kind: ScalarKind): Write {
  switch (kind) {
    case 'string':
      return (value) => JSON.stringify(coerceScalar(value, kind, 'value') as string);
    case 'bool':
      return (value) => (coerceScalar(value, kind, 'value') ? 'true' : 'false');
    case 'bytes':
      // Base64 text is kept as given rather than decoded and re-encoded.
      return (value) => {
        const bytes = coerceScalar(value, kind, 'value') as Uint8Array;
        return JSON.stringify(typeof value === 'string' ? value : encodeBase64(bytes));
      };
    default:
      // Integers (number, or bigint beyond 2^53: exact digits) and floats (non-finite as strings).
      return (value) => {
        const n = coerceScalar(value, kind, 'value') as number | bigint;
        if (typeof n === 'bigint' || Number.isFinite(n)) return String(n);
        return `"${String(n)}"`;
      };
  }
}

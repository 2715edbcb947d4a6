/**
 * Walks a value against a message type: the one place where "does this body fit its
 * schema" is decided, for every codec, and where the executor coerces a mapped output.
 *
 *   input  json  — a parsed JSON body (proto3 JSON leniency: numeric strings for numbers)
 *          text  — form and XML bodies, where every leaf is a string
 *          value — runtime values (a flow's mapped output)
 *   target runtime — enums by name, int64 number|bigint, bytes Uint8Array
 *          json    — the same, but bytes as base64 and NaN/Infinity as strings
 *          proto   — what protobufjs encodes: enums by number, big int64 as strings
 *
 * Unknown fields are dropped, null and undefined mean absent; objects are built in
 * declaration order so every message of a type has the same shape.
 */
import protobuf from 'protobufjs';
import { describeType } from '../schema/build.js';
import type { EnumType, FieldType, MessageType, ScalarKind } from '../schema/types.js';
import { CodecError } from './codec.js';
import { coerceScalar, encodeBase64, type Input, Mismatch } from './scalars.js';
import { defineKey, isPlainObject } from './values.js';

export interface Conversion {
  readonly input: Input;
  readonly target: 'runtime' | 'json' | 'proto';
}

export const DECODE_JSON: Conversion = { input: 'json', target: 'runtime' };
export const DECODE_TEXT: Conversion = { input: 'text', target: 'runtime' };
export const COERCE: Conversion = { input: 'value', target: 'runtime' };
export const ENCODE_JSON: Conversion = { input: 'value', target: 'json' };
export const ENCODE_PROTO: Conversion = { input: 'value', target: 'proto' };

export type NormalizeMode = 'json' | 'text' | 'value';
const MODES: Record<NormalizeMode, Conversion> = { json: DECODE_JSON, text: DECODE_TEXT, value: COERCE };

/**
 * Checks and converts `value` to `type`; throws CodecError naming the field
 * (`field "items[2].sku": expected uint32, got string "x"`).
 */
export function normalize(
  value: unknown,
  type: MessageType,
  mode: NormalizeMode | Conversion = 'value',
): Record<string, unknown> {
  const conversion = typeof mode === 'string' ? MODES[mode] : mode;
  try {
    return message(value, type, conversion) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof Mismatch) throw new CodecError(error.describe(), error.path() || undefined);
    throw error;
  }
}

/** Leaves the field out (an empty form or XML value for a number, for instance). */
const ABSENT = Symbol('absent');

export interface FieldPlan {
  field: FieldType;
  name: string;
  /** The proto3 JSON name (`displayName` for `display_name`), when it differs. */
  alias: string | undefined;
  /** Named like an Object.prototype member: read own properties only. */
  inherited: boolean;
}

const plans = new WeakMap<MessageType, FieldPlan[]>();

/** The fields of `type` in declaration order, with how each is read (shared with json-writer.ts). */
export function planOf(type: MessageType): FieldPlan[] {
  let plan = plans.get(type);
  if (plan) return plan;
  plan = type.fieldList.map((field) => {
    const jsonName: unknown = type.proto.fields[field.name]?.options?.json_name ?? protobuf.util.camelCase(field.name);
    const alias = typeof jsonName === 'string' && jsonName !== field.name ? jsonName : undefined;
    return { field, name: field.name, alias, inherited: field.name in Object.prototype };
  });
  plans.set(type, plan);
  return plan;
}

/** A field's value in `source`: by name, else by its proto3 JSON name; own properties only for inherited names. */
export function read(source: Record<string, unknown>, plan: FieldPlan): unknown {
  if (plan.inherited) return Object.hasOwn(source, plan.name) ? source[plan.name] : undefined;
  const value = source[plan.name];
  return value === undefined && plan.alias !== undefined ? source[plan.alias] : value;
}

function message(value: unknown, type: MessageType, c: Conversion): unknown {
  if (c.input === 'text' && value === '') return {};
  if (!isPlainObject(value)) throw new Mismatch(`message ${type.fullName}`, value);
  const out: Record<string, unknown> = {};
  for (const plan of planOf(type)) {
    const raw = read(value, plan);
    if (raw === undefined || raw === null) continue;
    try {
      const converted =
        plan.field.kind === 'map'
          ? map(raw, plan.field, c)
          : plan.field.repeated
            ? list(raw, plan.field, c)
            : element(raw, plan.field, c);
      if (converted !== ABSENT) out[plan.name] = converted;
    } catch (error) {
      if (error instanceof Mismatch) error.segments.unshift(plan.name);
      throw error;
    }
  }
  return out;
}

function list(value: unknown, field: FieldType, c: Conversion): unknown {
  // A form key given once, or an XML element that occurs once, is a list of one.
  const items = Array.isArray(value) ? value : c.input === 'text' ? [value] : undefined;
  if (!items) throw new Mismatch(describeType(field), value);
  const out: unknown[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      const converted = element(items[i], field, c);
      if (converted !== ABSENT) out.push(converted);
    } catch (error) {
      if (error instanceof Mismatch) error.segments.unshift(`[${i}]`);
      throw error;
    }
  }
  return out;
}

/** A map field converted (json-writer.ts writes maps through this, then the shared writer). */
export function map(raw: unknown, field: FieldType, c: Conversion): unknown {
  if (c.input === 'text' && raw === '') return ABSENT;
  const value = c.input === 'text' ? (fromEntries(raw) ?? raw) : raw;
  if (!isPlainObject(value)) throw new Mismatch(describeType(field), value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const raw = value[key];
    if (raw === undefined || raw === null) continue;
    try {
      const converted = element(raw, field, c);
      if (converted !== ABSENT) defineKey(out, mapKey(key, field.mapKey ?? 'string', c), converted);
    } catch (error) {
      if (error instanceof Mismatch) error.segments.unshift(key);
      throw error;
    }
  }
  return out;
}

/**
 * Text codecs may write a map as its proto entries, `<labels><key>-5</key><value>x</value></labels>`
 * (XML element names cannot be `-5`), once or repeated; those become an object.
 */
function fromEntries(value: unknown): Record<string, unknown> | undefined {
  const entries = Array.isArray(value) ? value : [value];
  const out: Record<string, unknown> = {};
  for (const entry of entries) {
    if (!isPlainObject(entry) || typeof entry.key !== 'string' || !Object.hasOwn(entry, 'key')) return undefined;
    defineKey(out, entry.key, entry.value ?? '');
  }
  return out;
}

/** Map keys stay strings (JS object keys), checked against the key type. */
function mapKey(key: string, kind: ScalarKind, c: Conversion): string {
  if (kind === 'string') return key;
  if (kind === 'bool') {
    if (key !== 'true' && key !== 'false') throw new Mismatch('bool map key', key);
    // protobufjs writes a bool key as `key ? 1 : 0`, so the string "false" would be true.
    return c.target === 'proto' && key === 'false' ? '' : key;
  }
  try {
    return String(coerceScalar(key, kind, 'text'));
  } catch {
    throw new Mismatch(`${kind} map key`, key);
  }
}

function element(value: unknown, field: FieldType, c: Conversion): unknown {
  if (field.message) return message(value, field.message, c);
  if (field.enum) return enumValue(value, field.enum, c);
  return scalar(value, field.scalar ?? 'string', c);
}

function scalar(value: unknown, kind: ScalarKind, c: Conversion): unknown {
  if (c.input === 'text' && value === '' && kind !== 'string') return ABSENT;
  const converted = coerceScalar(value, kind, c.input);
  switch (typeof converted) {
    case 'bigint':
      return c.target === 'proto' ? String(converted) : converted;
    case 'number':
      if (c.target === 'json' && !Number.isFinite(converted)) return String(converted);
      return converted;
    case 'object':
      // bytes: keep base64 text as given rather than decoding and re-encoding it.
      if (c.target !== 'json') return converted;
      return typeof value === 'string' ? value : encodeBase64(converted as Uint8Array);
    default:
      return converted;
  }
}

const ENUM_NUMBER = /^-?\d+$/;

function enumValue(value: unknown, type: EnumType, c: Conversion): unknown {
  if (typeof value === 'string') {
    const id = type.values.get(value);
    if (id !== undefined) return c.target === 'proto' ? id : value;
    if (c.input === 'text' && value === '') return ABSENT;
    if (c.input !== 'json' && ENUM_NUMBER.test(value)) return enumValue(Number(value), type, c);
  } else if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 31) {
    // proto3 enums are open: an unknown number is kept as a number.
    return c.target === 'proto' ? value : (type.names.get(value) ?? value);
  }
  throw new Mismatch(`enum ${type.fullName}`, value);
}

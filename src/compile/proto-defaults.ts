/**
 * proto3 leaves zero values off the wire, so a gRPC (or proto-typed) answer lacks every
 * field that is 0, "", false or the first enum value. Semaphore wrote those fields in its
 * output anyway; so does Maestro, for every output field mapped from a typed message:
 *
 *   upstream  {meta: {}}   +   output { msg = "{{ user:msg }}"  meta = "{{ user:meta }}" }
 *   answer    {"msg": "", "meta": {"session": 0}}
 *
 * A whole message is filled in (scalars and enums, recursively through present messages);
 * an absent message or list stays absent. Decided at compile time from the static type.
 */
import type { FieldType, MessageType, ScalarKind } from '../schema/types.js';
import type { Getter } from './plan.js';
import type { StaticType } from './static-type.js';

/** `get`, answering the proto3 default where it would give undefined; `get` itself when the type has none. */
export function withProtoDefault(get: Getter, type: StaticType): Getter {
  if (type.kind !== 'typed' || type.repeated) return get;
  if (type.category === 'message' && type.message) {
    const message = type.message;
    return (ctx) => {
      const value = get(ctx);
      return isObject(value) ? fillMessage(value, message) : value;
    };
  }
  const zero =
    type.category === 'enum' ? enumZero(type.enum?.names) : type.scalar ? scalarZero(type.scalar) : undefined;
  if (zero === undefined) return get;
  return (ctx) => {
    const value = get(ctx);
    return value === undefined ? zero : value;
  };
}

/** A copy of `value` with every absent scalar and enum field of `type` set to its default. */
export function fillMessage(value: Record<string, unknown>, type: MessageType): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const field of type.fieldList) {
    const present = out[field.name];
    if (present === undefined) {
      const zero = fieldZero(field);
      if (zero !== undefined) out[field.name] = zero;
    } else if (field.kind === 'message' && field.message && !field.repeated && isObject(present)) {
      out[field.name] = fillMessage(present, field.message);
    }
  }
  return out;
}

function fieldZero(field: FieldType): unknown {
  if (field.repeated || field.kind === 'map' || field.kind === 'message') return undefined;
  if (field.kind === 'enum') return enumZero(field.enum?.names);
  return field.scalar ? scalarZero(field.scalar) : undefined;
}

function scalarZero(scalar: ScalarKind): unknown {
  switch (scalar) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return new Uint8Array(0);
    default:
      return 0;
  }
}

function enumZero(names: Map<number, string> | undefined): string | undefined {
  return names?.get(0);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

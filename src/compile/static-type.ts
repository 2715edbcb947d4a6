/**
 * Static types of template values, for compile-time checks against proto schemas.
 * Untyped data (untyped flows, HCL services without messages, functions returning
 * dynamic values) is `dynamic` and checks against anything.
 */
import type { EnumType, FieldType, MessageType, ScalarKind } from '../schema/types.js';
import type { ResultKind } from '../functions/function.js';

export type Category = 'string' | 'number' | 'bool' | 'bytes' | 'enum' | 'message' | 'map' | 'object' | 'array';

export type StaticType =
  | { kind: 'dynamic' }
  | {
      kind: 'typed';
      category: Category;
      repeated: boolean;
      message?: MessageType;
      enum?: EnumType;
      scalar?: ScalarKind;
    };

export const DYNAMIC: StaticType = { kind: 'dynamic' };

const NUMERIC = new Set<ScalarKind>([
  'double',
  'float',
  'int32',
  'uint32',
  'sint32',
  'fixed32',
  'sfixed32',
  'int64',
  'uint64',
  'sint64',
  'fixed64',
  'sfixed64',
]);

export function scalarCategory(scalar: ScalarKind): Category {
  if (NUMERIC.has(scalar)) return 'number';
  if (scalar === 'bool') return 'bool';
  if (scalar === 'bytes') return 'bytes';
  return 'string';
}

/** The type of a value read from `field` (repeated fields read as lists). */
export function fieldStaticType(field: FieldType): StaticType {
  switch (field.kind) {
    case 'message':
      return { kind: 'typed', category: 'message', repeated: field.repeated, message: field.message };
    case 'enum':
      return { kind: 'typed', category: 'enum', repeated: field.repeated, enum: field.enum };
    case 'map':
      return { kind: 'typed', category: 'map', repeated: false };
    default:
      return {
        kind: 'typed',
        category: scalarCategory(field.scalar ?? 'string'),
        repeated: field.repeated,
        scalar: field.scalar,
      };
  }
}

export function messageStaticType(message: MessageType): StaticType {
  return { kind: 'typed', category: 'message', repeated: false, message };
}

/** An element of a repeated type. */
export function elementType(type: StaticType): StaticType {
  return type.kind === 'typed' && type.repeated ? { ...type, repeated: false } : DYNAMIC;
}

export function literalType(value: unknown): StaticType {
  switch (typeof value) {
    case 'string':
      return { kind: 'typed', category: 'string', repeated: false };
    case 'number':
    case 'bigint':
      return { kind: 'typed', category: 'number', repeated: false };
    case 'boolean':
      return { kind: 'typed', category: 'bool', repeated: false };
    default:
      return DYNAMIC;
  }
}

export function resultType(kind: ResultKind): StaticType {
  switch (kind) {
    case 'string':
      return { kind: 'typed', category: 'string', repeated: false };
    case 'number':
      return { kind: 'typed', category: 'number', repeated: false };
    case 'boolean':
      return { kind: 'typed', category: 'bool', repeated: false };
    default:
      return DYNAMIC;
  }
}

export function describe(type: StaticType): string {
  if (type.kind === 'dynamic') return 'dynamic';
  const base = type.message?.fullName ?? type.enum?.fullName ?? type.scalar ?? type.category;
  return type.repeated ? `repeated ${base}` : base;
}

/**
 * Whether a value of type `source` may be assigned to `target`. Strings take enums and
 * enums take strings (names); bytes take strings; numbers of any width mix.
 */
export function assignable(target: StaticType, source: StaticType): boolean {
  if (target.kind === 'dynamic' || source.kind === 'dynamic') return true;
  if (target.repeated !== source.repeated) return false;
  const t = target.category;
  const s = source.category;
  if (t === s) {
    if (t === 'message')
      return !target.message || !source.message || target.message.fullName === source.message.fullName;
    if (t === 'enum') return !target.enum || !source.enum || target.enum.fullName === source.enum.fullName;
    return true;
  }
  if (t === 'string' && s === 'enum') return true;
  if (t === 'enum' && s === 'string') return true;
  if (t === 'bytes' && s === 'string') return true;
  if ((t === 'message' || t === 'map') && s === 'object') return true;
  return false;
}

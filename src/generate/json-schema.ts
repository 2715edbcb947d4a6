/**
 * Message types as OpenAPI 3.0 schemas: one component per message or enum (keyed by its
 * full name), fields by their proto JSON form: int64 as integer/int64 (Maestro writes
 * exact JSON numbers), enums by name, bytes as base64 strings, maps as objects.
 */
import type { EnumType, FieldType, MessageType, ScalarKind } from '../schema/types.js';

export type JsonSchema = Record<string, unknown>;

/** Collects the components a document refers to; each type is converted once. */
export class SchemaComponents {
  readonly schemas: Record<string, JsonSchema> = {};

  /** A `$ref` to `type`, converting it (and what it uses) on first sight. */
  ref(type: MessageType): JsonSchema {
    if (!(type.fullName in this.schemas)) {
      this.schemas[type.fullName] = {}; // placeholder first: recursive messages refer to themselves
      const properties: Record<string, JsonSchema> = {};
      for (const field of type.fieldList) properties[field.name] = this.field(field);
      this.schemas[type.fullName] = { type: 'object', properties };
    }
    return { $ref: `#/components/schemas/${type.fullName}` };
  }

  private enumRef(type: EnumType): JsonSchema {
    if (!(type.fullName in this.schemas))
      this.schemas[type.fullName] = { type: 'string', enum: [...type.values.keys()] };
    return { $ref: `#/components/schemas/${type.fullName}` };
  }

  private field(field: FieldType): JsonSchema {
    const single = this.single(field);
    if (field.kind === 'map') return { type: 'object', additionalProperties: single };
    return field.repeated ? { type: 'array', items: single } : single;
  }

  private single(field: FieldType): JsonSchema {
    if (field.message) return this.ref(field.message);
    if (field.enum) return this.enumRef(field.enum);
    return scalarSchema(field.scalar ?? 'string');
  }
}

/** Any JSON object: what an untyped input or output carries. */
export const ANY_OBJECT: JsonSchema = { type: 'object', additionalProperties: true };

export function scalarSchema(scalar: ScalarKind): JsonSchema {
  switch (scalar) {
    case 'double':
      return { type: 'number', format: 'double' };
    case 'float':
      return { type: 'number', format: 'float' };
    case 'int64':
    case 'sint64':
    case 'sfixed64':
    case 'uint64':
    case 'fixed64':
      return { type: 'integer', format: 'int64' };
    case 'int32':
    case 'sint32':
    case 'sfixed32':
    case 'uint32':
    case 'fixed32':
      return { type: 'integer', format: 'int32' };
    case 'bool':
      return { type: 'boolean' };
    case 'bytes':
      return { type: 'string', format: 'byte' };
    default:
      return { type: 'string' };
  }
}

/**
 * Proto messages and enums → GraphQL types, built once when the listener starts.
 *
 *   message shop.User        → type User            (output, fields nullable)
 *                            → input UserInput      (arguments, nested inputs)
 *   enum shop.Role           → enum Role            (values by name, both ways)
 *   repeated T               → [T] out, [T!] in
 *   map<K, V>, empty message → JSON
 *
 * Every type is made once per message full name and reused wherever the message
 * appears, recursion included: a type is cached before its fields are filled in.
 */
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLInputFieldConfigMap,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLScalarType,
} from 'graphql';
import type { EnumType, FieldType, MessageType, ScalarKind } from '../../schema/types.js';
import { NameRegistry, shortName } from './names.js';
import { BytesScalar, Int64Scalar, JsonScalar } from './scalars.js';

type OutputFields = Record<string, GraphQLFieldConfig<unknown, unknown>>;

const SCALARS: Record<ScalarKind, GraphQLScalarType> = {
  double: GraphQLFloat,
  float: GraphQLFloat,
  int32: GraphQLInt,
  uint32: GraphQLInt,
  sint32: GraphQLInt,
  fixed32: GraphQLInt,
  sfixed32: GraphQLInt,
  int64: Int64Scalar,
  uint64: Int64Scalar,
  sint64: Int64Scalar,
  fixed64: Int64Scalar,
  sfixed64: Int64Scalar,
  bool: GraphQLBoolean,
  string: GraphQLString,
  bytes: BytesScalar,
};

export class TypeMapper {
  private readonly outputs = new Map<string, GraphQLObjectType>();
  private readonly inputs = new Map<string, GraphQLInputObjectType>();
  private readonly enums = new Map<string, GraphQLEnumType>();

  constructor(private readonly names: NameRegistry) {}

  /**
   * The object type of a message. `name` (the endpoint option) names it when the
   * message has no type yet; when it already has one under another name, a twin type
   * with the same fields gets the requested name, so both endpoints read as configured.
   */
  outputType(message: MessageType, name?: string): GraphQLOutputType {
    if (message.fieldList.length === 0) return JsonScalar;
    const canonical = this.outputs.get(message.fullName);
    if (name === undefined) return canonical ?? this.objectType(message, message.fullName, this.baseName(message));
    const key = `${message.fullName}#${name}`;
    const named = this.outputs.get(key);
    if (named) return named;
    if (!canonical || canonical.name === name) {
      // The first name given to a message becomes its type everywhere it is nested too.
      const type =
        canonical ?? this.objectType(message, message.fullName, this.names.claim(`message ${message.fullName}`, name));
      this.outputs.set(key, type);
      return type;
    }
    return this.objectType(message, key, this.names.claim(`twin ${key}`, name));
  }

  /** The arguments of a field whose flow takes `message` as input: one per message field. */
  argumentsOf(message: MessageType): GraphQLFieldConfigArgumentMap {
    const args: GraphQLFieldConfigArgumentMap = {};
    for (const field of message.fieldList) args[field.name] = { type: this.inputFieldType(field) };
    return args;
  }

  private objectType(message: MessageType, key: string, name: string): GraphQLObjectType {
    const fields: OutputFields = {};
    const type = new GraphQLObjectType({ name, fields: () => fields });
    this.outputs.set(key, type);
    // Filled after caching so a message that contains itself finds its own type.
    for (const field of message.fieldList) fields[field.name] = this.outputField(field);
    return type;
  }

  private outputField(field: FieldType): GraphQLFieldConfig<unknown, unknown> {
    const element = this.outputElement(field);
    const type = field.repeated && field.kind !== 'map' ? new GraphQLList(element) : element;
    if (field.kind !== 'enum' || !field.enum) return { type };
    // Upstreams may send enum numbers; GraphQL serialises by name, so map them here.
    const names = field.enum.names;
    const key = field.name;
    const one = (value: unknown): unknown => (typeof value === 'number' ? (names.get(value) ?? null) : value);
    return {
      type,
      resolve: field.repeated
        ? (source) => {
            const list = read(source, key);
            return Array.isArray(list) ? list.map(one) : list;
          }
        : (source) => one(read(source, key)),
    };
  }

  private outputElement(field: FieldType): GraphQLOutputType {
    if (field.kind === 'map') return JsonScalar;
    if (field.kind === 'enum' && field.enum) return this.enumType(field.enum);
    if (field.kind === 'message' && field.message) return this.outputType(field.message);
    return field.scalar ? SCALARS[field.scalar] : JsonScalar;
  }

  private inputFieldType(field: FieldType): GraphQLInputType {
    const element = this.inputElement(field);
    // Proto lists cannot hold null, so the element is non-null; the field itself is optional.
    return field.repeated && field.kind !== 'map' ? new GraphQLList(new GraphQLNonNull(element)) : element;
  }

  private inputElement(field: FieldType): GraphQLInputType {
    if (field.kind === 'map') return JsonScalar;
    if (field.kind === 'enum' && field.enum) return this.enumType(field.enum);
    if (field.kind === 'message' && field.message) return this.inputType(field.message);
    return field.scalar ? SCALARS[field.scalar] : JsonScalar;
  }

  private inputType(message: MessageType): GraphQLInputType {
    if (message.fieldList.length === 0) return JsonScalar;
    const existing = this.inputs.get(message.fullName);
    if (existing) return existing;
    const fields: GraphQLInputFieldConfigMap = {};
    const name = this.names.claim(`input ${message.fullName}`, `${this.baseName(message)}Input`);
    const type = new GraphQLInputObjectType({ name, fields: () => fields });
    this.inputs.set(message.fullName, type);
    for (const field of message.fieldList) fields[field.name] = { type: this.inputFieldType(field) };
    return type;
  }

  private enumType(e: EnumType): GraphQLEnumType {
    const existing = this.enums.get(e.fullName);
    if (existing) return existing;
    // The runtime value of an enum is its name, as the codecs carry enums.
    const values: Record<string, { value: string }> = {};
    for (const name of e.values.keys()) values[name] = { value: name };
    const type = new GraphQLEnumType({
      name: this.names.claim(`enum ${e.fullName}`, shortName(e.fullName), e.fullName),
      values,
    });
    this.enums.set(e.fullName, type);
    return type;
  }

  /**
   * The message's own name: `User`, or `shop_v1_User` when another package took `User`
   * first. Claimed once, so the object type and its input twin agree (`shop_v1_UserInput`).
   */
  private baseName(message: MessageType): string {
    return this.names.claim(`message ${message.fullName}`, shortName(message.fullName), message.fullName);
  }
}

function read(source: unknown, key: string): unknown {
  return source !== null && typeof source === 'object' ? (source as Record<string, unknown>)[key] : undefined;
}

/**
 * Turns the resolved protobufjs Root into Maestro's type model (types.ts): message, enum
 * and service types whose references are objects, built once. The same protobufjs type
 * always yields the same MessageType object (a WeakMap cache), so compile can call
 * `createMessageType` on any type it meets and get what the registry holds.
 */
import protobuf from 'protobufjs';
import {
  SCALAR_KINDS,
  type EnumType,
  type FieldType,
  type MessageType,
  type MethodType,
  type ScalarKind,
  type SchemaRegistry,
  type ServiceType,
} from './types.js';
import { HTTP_OPTION, SERVICE_OPTION } from './annotations.js';
import { lookupFieldType, type Positions } from './merge.js';

const messageCache = new WeakMap<protobuf.Type, MessageType>();
const enumCache = new WeakMap<protobuf.Enum, EnumType>();

const SCALARS = new Set<string>(SCALAR_KINDS);

function withoutDot(fullName: string): string {
  return fullName.startsWith('.') ? fullName.slice(1) : fullName;
}

export function createEnumType(proto: protobuf.Enum): EnumType {
  let type = enumCache.get(proto);
  if (type) return type;
  const values = new Map<string, number>();
  const names = new Map<number, string>();
  for (const [name, id] of Object.entries(proto.values)) {
    values.set(name, id);
    // With allow_alias the first name written is the canonical one.
    if (!names.has(id)) names.set(id, name);
  }
  type = { fullName: withoutDot(proto.fullName), values, names, proto };
  enumCache.set(proto, type);
  return type;
}

/**
 * The MessageType of a protobufjs Type (resolved, or at least with resolvable fields).
 * Recursive messages are fine: the object is cached before its fields are built.
 */
export function createMessageType(proto: protobuf.Type, positions?: Positions): MessageType {
  const cached = messageCache.get(proto);
  if (cached) return cached;
  const type: MessageType = { fullName: withoutDot(proto.fullName), fields: new Map(), fieldList: [], proto };
  if (positions) type.pos = positions.ofObject(proto);
  messageCache.set(proto, type);
  for (const field of proto.fieldsArray) {
    const built = createFieldType(field, positions);
    if (!built) continue;
    type.fields.set(built.name, built);
    type.fieldList.push(built);
  }
  return type;
}

/** Undefined when the field's type could not be resolved (already reported at load). */
function createFieldType(field: protobuf.Field, positions: Positions | undefined): FieldType | undefined {
  const resolved = lookupFieldType(field);
  const base = { name: field.name, id: field.id, repeated: field.repeated };
  let described: Pick<FieldType, 'kind' | 'scalar' | 'enum' | 'message'>;
  if (resolved instanceof protobuf.Type)
    described = { kind: 'message', message: createMessageType(resolved, positions) };
  else if (resolved instanceof protobuf.Enum) described = { kind: 'enum', enum: createEnumType(resolved) };
  else if (SCALARS.has(field.type)) described = { kind: 'scalar', scalar: field.type as ScalarKind };
  else return undefined;
  if (field instanceof protobuf.MapField) {
    return { ...base, ...described, repeated: false, kind: 'map', mapKey: field.keyType as ScalarKind };
  }
  return { ...base, ...described };
}

/** A human-readable type for messages: `int32`, `repeated shop.User`, `map<string, int32>`. */
export function describeType(field: FieldType): string {
  const element = field.message?.fullName ?? field.enum?.fullName ?? field.scalar ?? 'unknown';
  if (field.kind === 'map') return `map<${field.mapKey ?? 'string'}, ${element}>`;
  return field.repeated ? `repeated ${element}` : element;
}

/**
 * The value of a custom option as one object. protobufjs keeps aggregate options both in
 * `parsedOptions` (an array of `{ "(name)": {…} }` entries at runtime, one per `option`
 * statement) and flattened in `options` as `"(name).key": value`; either may be missing
 * depending on how the option was written, so both are read and merged.
 */
export function readOption(
  object: { options?: Record<string, unknown>; parsedOptions?: unknown },
  name: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  const parsed = object.parsedOptions;
  const entries: unknown[] = Array.isArray(parsed) ? parsed : parsed ? [parsed] : [];
  for (const entry of entries) {
    const value = (entry as Record<string, unknown> | null)?.[name];
    if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value))
        if (inner !== undefined && inner !== null) out[key] = String(inner);
    }
  }
  const prefix = `${name}.`;
  for (const [key, value] of Object.entries(object.options ?? {})) {
    if (key.startsWith(prefix) && value !== undefined && value !== null)
      out[key.slice(prefix.length)] ??= String(value);
  }
  return out;
}

function createServiceType(proto: protobuf.Service, positions: Positions): ServiceType {
  const fullName = withoutDot(proto.fullName);
  const dot = fullName.lastIndexOf('.');
  const option = readOption(proto, SERVICE_OPTION);
  const service: ServiceType = {
    fullName,
    package: dot === -1 ? '' : fullName.slice(0, dot),
    name: proto.name,
    options: {
      host: option.host,
      transport: option.transport,
      codec: option.codec,
      requestCodec: option.request_codec,
      responseCodec: option.response_codec,
    },
    methods: new Map(),
    proto,
    pos: positions.ofObject(proto),
  };
  for (const method of proto.methodsArray) {
    const http = readOption(method, HTTP_OPTION);
    const built: MethodType = {
      name: method.name,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      proto: method,
    };
    if (method.resolvedRequestType) built.request = createMessageType(method.resolvedRequestType, positions);
    if (method.resolvedResponseType) built.response = createMessageType(method.resolvedResponseType, positions);
    if (http.endpoint !== undefined || http.method !== undefined)
      built.http = { endpoint: http.endpoint, method: http.method };
    service.methods.set(method.name, built);
  }
  return service;
}

/** Walks the whole Root into a registry. */
export function buildRegistry(root: protobuf.Root, files: string[], positions: Positions): SchemaRegistry {
  const registry: SchemaRegistry = { root, messages: new Map(), enums: new Map(), services: new Map(), files };
  const visit = (namespace: protobuf.NamespaceBase): void => {
    for (const object of namespace.nestedArray) {
      if (object instanceof protobuf.Type) {
        const type = createMessageType(object, positions);
        registry.messages.set(type.fullName, type);
      } else if (object instanceof protobuf.Enum) {
        const type = createEnumType(object);
        registry.enums.set(type.fullName, type);
      } else if (object instanceof protobuf.Service) {
        const type = createServiceType(object, positions);
        registry.services.set(type.fullName, type);
      }
      if (object instanceof protobuf.Namespace) visit(object);
    }
  };
  visit(root);
  return registry;
}

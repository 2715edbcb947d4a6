/**
 * The type model compile and the codecs work with: messages, enums and services, already
 * resolved (a field's message type is an object, not a name). Built once from the loaded
 * .proto files (and from HCL `service` blocks by compile); never looked up by name at
 * request time.
 */
import type protobuf from 'protobufjs';
import type { Pos } from '../spec/types.js';

/** The protobuf scalar types, in the order of the protobuf language guide. */
export const SCALAR_KINDS = [
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
  'bool',
  'string',
  'bytes',
] as const;

export type ScalarKind = (typeof SCALAR_KINDS)[number];

export interface FieldType {
  name: string;
  /** Proto field number. */
  id: number;
  repeated: boolean;
  kind: 'scalar' | 'enum' | 'message' | 'map';
  scalar?: ScalarKind;
  enum?: EnumType;
  message?: MessageType;
  /** For maps: key scalar kind; the value is described by scalar/enum/message above. */
  mapKey?: ScalarKind;
}

export interface MessageType {
  fullName: string;
  /** By field name as written in the proto (keepCase). */
  fields: Map<string, FieldType>;
  /** In declaration order. */
  fieldList: FieldType[];
  /** The protobufjs type, for binary encoding and gRPC. */
  proto: protobuf.Type;
  pos?: Pos;
}

export interface EnumType {
  fullName: string;
  values: Map<string, number>;
  names: Map<number, string>;
  proto: protobuf.Enum;
}

export interface MethodType {
  name: string;
  request?: MessageType;
  response?: MessageType;
  /** `option (semaphore.api.http) = { endpoint, method }`. */
  http?: { endpoint?: string; method?: string };
  requestStream: boolean;
  responseStream: boolean;
  proto?: protobuf.Method;
}

export interface ServiceType {
  /** package + "." + name */
  fullName: string;
  package: string;
  name: string;
  /** `option (semaphore.api.service) = { host, transport, codec, request_codec, response_codec }`. */
  options: { host?: string; transport?: string; codec?: string; requestCodec?: string; responseCodec?: string };
  methods: Map<string, MethodType>;
  proto?: protobuf.Service;
  pos?: Pos;
}

/** Everything the .proto files define, resolved. */
export interface SchemaRegistry {
  /** The single protobufjs root all types live in (for gRPC descriptors and binary codecs). */
  root: protobuf.Root;
  messages: Map<string, MessageType>;
  enums: Map<string, EnumType>;
  services: Map<string, ServiceType>;
  /** Absolute paths of the .proto files that were loaded (imports included). */
  files: string[];
}

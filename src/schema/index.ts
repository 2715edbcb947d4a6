/** Schemas: .proto files → message, enum and service types (see types.ts). */
export { loadSchemas } from './load.js';
export { createMessageType, createEnumType, describeType, readOption } from './build.js';
export { ANNOTATIONS_PATH, ANNOTATIONS_PROTO, HTTP_OPTION, SERVICE_OPTION } from './annotations.js';
export type { EnumType, FieldType, MessageType, MethodType, ScalarKind, SchemaRegistry, ServiceType } from './types.js';

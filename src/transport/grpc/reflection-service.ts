/**
 * The server reflection protocol (grpc.reflection.v1 and v1alpha, the same messages in
 * two packages), answered from the repaired descriptors of reflection.ts: a bidi call
 * where each request message gets one response message.
 *
 *   list_services              ─▶ the served services (reflection itself not listed)
 *   file_containing_symbol     ─▶ the file declaring a service, method, message, enum or
 *                                 field, and every file it depends on, transitively
 *   file_by_filename           ─▶ the same, by file name
 *   file_containing_extension, all_extension_numbers_of_type ─▶ by extendee
 *   anything unknown           ─▶ error_response NOT_FOUND / UNIMPLEMENTED
 *
 * Every file is encoded once, when the configuration is built.
 */
import protobuf from 'protobufjs';
import descriptor, { type IDescriptorProto, type IFileDescriptorProto } from 'protobufjs/ext/descriptor/index.js';
import { Code } from './codes.js';
import { FrameParser, inflate } from './frames.js';
import { describeServedFiles, type ServedMethod } from './reflection.js';
import type { GrpcRoute } from './server.js';

const MESSAGES = `
syntax = "proto3";
message ServerReflectionRequest {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
    ExtensionRequest file_containing_extension = 5;
    string all_extension_numbers_of_type = 6;
    string list_services = 7;
  }
}
message ExtensionRequest { string containing_type = 1; int32 extension_number = 2; }
message ServerReflectionResponse {
  string valid_host = 1;
  ServerReflectionRequest original_request = 2;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ExtensionNumberResponse all_extension_numbers_response = 5;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ExtensionNumberResponse { string base_type_name = 1; repeated int32 extension_number = 2; }
message ListServiceResponse { repeated ServiceResponse service = 1; }
message ServiceResponse { string name = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }
`;

interface ReflectionRequest {
  host?: string;
  file_by_filename?: string;
  file_containing_symbol?: string;
  file_containing_extension?: { containing_type?: string; extension_number?: number };
  all_extension_numbers_of_type?: string;
  list_services?: string;
}

let types: { request: protobuf.Type; response: protobuf.Type } | undefined;

function reflectionTypes(): { request: protobuf.Type; response: protobuf.Type } {
  if (!types) {
    const { root } = protobuf.parse(MESSAGES, { keepCase: true });
    types = {
      request: root.lookupType('ServerReflectionRequest'),
      response: root.lookupType('ServerReflectionResponse'),
    };
  }
  return types;
}

export const REFLECTION_PATHS = [
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
];

/** The reflection routes describing `methods`, both protocol versions. */
export function createReflectionRoutes(
  root: protobuf.Root,
  methods: readonly ServedMethod[],
  maxMessageBytes: number,
): Map<string, GrpcRoute> {
  const index = new ReflectionIndex(describeServedFiles(root, methods), methods);
  const { request, response } = reflectionTypes();
  const route: GrpcRoute = {
    kind: 'bidi',
    handle(call) {
      let failed = false;
      const parser = new FrameParser(maxMessageBytes, (compressed, bytes) => {
        if (failed) return;
        const message = inflate(compressed, bytes, call.encoding, maxMessageBytes);
        if (!Buffer.isBuffer(message)) {
          failed = true;
          return call.end(message.code, message.details);
        }
        let asked: ReflectionRequest;
        try {
          asked = request.toObject(request.decode(message), { oneofs: false }) as ReflectionRequest;
        } catch (error) {
          failed = true;
          return call.end(Code.INTERNAL, `invalid reflection request: ${(error as Error).message}`);
        }
        const answer = { valid_host: asked.host ?? '', original_request: asked, ...index.answer(asked) };
        call.write(Buffer.from(response.encode(response.fromObject(answer)).finish()));
      });
      call.stream.on('data', (chunk: Buffer) => {
        if (failed) return;
        const error = parser.push(chunk);
        if (error) {
          failed = true;
          call.end(error.code, error.details);
        }
      });
      call.stream.once('end', () => call.end(Code.OK, ''));
    },
  };
  return new Map(REFLECTION_PATHS.map((path) => [path, route]));
}

class ReflectionIndex {
  private readonly byName = new Map<string, IFileDescriptorProto>();
  private readonly bySymbol = new Map<string, IFileDescriptorProto>();
  /** extendee (no leading dot) → field number → declaring file. */
  private readonly extensions = new Map<string, Map<number, IFileDescriptorProto>>();
  private readonly encoded = new Map<IFileDescriptorProto, Uint8Array>();
  private readonly services: Array<{ name: string }>;

  constructor(files: IFileDescriptorProto[], methods: readonly ServedMethod[]) {
    this.services = [...new Set(methods.map((m) => m.service))].map((name) => ({ name }));
    for (const file of files) {
      if (file.name) this.byName.set(file.name, file);
      this.encoded.set(file, descriptor.FileDescriptorProto.encode(file).finish());
      const prefix = file.package ? `${file.package}.` : '';
      for (const message of file.messageType ?? []) this.indexMessage(file, message, prefix);
      for (const e of file.enumType ?? []) this.indexEnum(file, e, prefix);
      for (const service of file.service ?? []) {
        const name = `${prefix}${service.name}`;
        this.bySymbol.set(name, file);
        for (const method of service.method ?? []) this.bySymbol.set(`${name}.${method.name}`, file);
      }
      for (const extension of file.extension ?? []) this.indexExtension(file, extension, prefix);
    }
  }

  answer(asked: ReflectionRequest): Record<string, unknown> {
    if (asked.list_services !== undefined) return { list_services_response: { service: this.services } };
    if (asked.file_containing_symbol !== undefined)
      return this.files(this.bySymbol.get(asked.file_containing_symbol), `symbol ${asked.file_containing_symbol}`);
    if (asked.file_by_filename !== undefined)
      return this.files(this.byName.get(asked.file_by_filename), `file ${asked.file_by_filename}`);
    if (asked.file_containing_extension !== undefined) {
      const { containing_type: type = '', extension_number: number = 0 } = asked.file_containing_extension;
      return this.files(this.extensions.get(type)?.get(number), `extension ${number} of ${type}`);
    }
    if (asked.all_extension_numbers_of_type !== undefined) {
      const type = asked.all_extension_numbers_of_type;
      const numbers = this.extensions.get(type);
      if (!numbers) return notFound(`extensions of ${type}`);
      return { all_extension_numbers_response: { base_type_name: type, extension_number: [...numbers.keys()] } };
    }
    return { error_response: { error_code: Code.UNIMPLEMENTED, error_message: 'unknown reflection request' } };
  }

  /** The file and every file it imports, transitively, each once. */
  private files(file: IFileDescriptorProto | undefined, what: string): Record<string, unknown> {
    if (!file) return notFound(what);
    const seen = new Set<IFileDescriptorProto>([file]);
    const queue = [file];
    for (let next = queue.shift(); next; next = queue.shift()) {
      for (const name of next.dependency ?? []) {
        const dependency = this.byName.get(name);
        if (dependency && !seen.has(dependency)) {
          seen.add(dependency);
          queue.push(dependency);
        }
      }
    }
    return { file_descriptor_response: { file_descriptor_proto: [...seen].map((f) => this.encoded.get(f)!) } };
  }

  private indexMessage(file: IFileDescriptorProto, message: IDescriptorProto, scope: string): void {
    const name = `${scope}${message.name}`;
    this.bySymbol.set(name, file);
    for (const field of message.field ?? []) this.bySymbol.set(`${name}.${field.name}`, file);
    for (const nested of message.nestedType ?? []) this.indexMessage(file, nested, `${name}.`);
    for (const e of message.enumType ?? []) this.indexEnum(file, e, `${name}.`);
    for (const extension of message.extension ?? []) this.indexExtension(file, extension, `${name}.`);
  }

  private indexEnum(file: IFileDescriptorProto, e: { name?: string | null }, scope: string): void {
    this.bySymbol.set(`${scope}${e.name}`, file);
  }

  private indexExtension(
    file: IFileDescriptorProto,
    extension: { name?: string | null; extendee?: string | null; number?: number | null },
    scope: string,
  ): void {
    this.bySymbol.set(`${scope}${extension.name}`, file);
    const extendee = (extension.extendee ?? '').replace(/^\./, '');
    let numbers = this.extensions.get(extendee);
    if (!numbers) this.extensions.set(extendee, (numbers = new Map()));
    numbers.set(extension.number ?? 0, file);
  }
}

function notFound(what: string): Record<string, unknown> {
  return { error_response: { error_code: Code.NOT_FOUND, error_message: `${what} not found` } };
}

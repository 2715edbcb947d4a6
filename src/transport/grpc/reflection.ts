/**
 * Server reflection (grpc.reflection.v1 and v1alpha) for the services the listener
 * serves, so grpcurl-style clients can list them and describe their methods.
 *
 * The file descriptors come from the registry's protobufjs root (one file per package),
 * then are repaired before reflection-service.ts serves them, because as produced:
 *   - `dependency` is empty, so a client resolving a message that lives in another
 *     package's file fails (DESIGN §8): it is filled in from the references;
 *   - field types are written relative to their scope: they become fully qualified;
 *   - file names are the absolute paths loaded: they become relative to the files'
 *     common directory, as imports write them, so the server's layout does not leak;
 *   - a served service or method that no .proto declares is missing: it is added, typed
 *     by its flow's input and output (an untyped side is an empty message).
 */
import path from 'node:path';
import type protobuf from 'protobufjs';
import descriptor, {
  type IDescriptorProto,
  type IFieldDescriptorProto,
  type IFileDescriptorProto,
  type IFileDescriptorSet,
} from 'protobufjs/ext/descriptor/index.js';

/** One method the listener serves, with the full names of its message types ('' = empty message). */
export interface ServedMethod {
  package: string;
  /** Full service name: `package.Service`. */
  service: string;
  method: string;
  requestType: string;
  responseType: string;
}

const EMPTY_FILE = 'maestro/empty.proto';
const EMPTY_TYPE = 'maestro.grpc.Empty';

/** The repaired descriptors: every file of the root plus files for undeclared services. */
export function describeServedFiles(root: protobuf.Root, methods: readonly ServedMethod[]): IFileDescriptorProto[] {
  const files = rootFiles(root);
  relativeNames(files);
  const symbols = new Map<string, IFileDescriptorProto>();
  for (const file of files) indexFile(file, symbols);

  const emptyType = (): string => {
    if (symbols.has('google.protobuf.Empty')) return 'google.protobuf.Empty';
    if (!symbols.has(EMPTY_TYPE))
      addFile({ name: EMPTY_FILE, package: 'maestro.grpc', syntax: 'proto3', messageType: [{ name: 'Empty' }] });
    return EMPTY_TYPE;
  };
  const addFile = (file: IFileDescriptorProto): void => {
    files.push(file);
    indexFile(file, symbols);
  };

  for (const served of methods) {
    let file = symbols.get(served.service);
    if (!file) {
      file = {
        name: `maestro/${served.package || 'default'}/${served.service}.proto`,
        package: served.package,
        syntax: 'proto3',
        service: [],
      };
      file.service!.push({ name: served.service.slice(served.package ? served.package.length + 1 : 0), method: [] });
      addFile(file);
    }
    const prefix = file.package ? `${file.package}.` : '';
    const service = file.service?.find((s) => `${prefix}${s.name}` === served.service);
    if (!service || service.method?.some((m) => m.name === served.method)) continue;
    service.method = [
      ...(service.method ?? []),
      {
        name: served.method,
        inputType: `.${served.requestType || emptyType()}`,
        outputType: `.${served.responseType || emptyType()}`,
      },
    ];
  }

  for (const file of files) linkFile(file, symbols);
  return files;
}

/** One plain descriptor per package namespace of the root (protobufjs groups them so). */
function rootFiles(root: protobuf.Root): IFileDescriptorProto[] {
  // ext/descriptor patches Root.prototype at import but declares no typing for it.
  const describable = root as unknown as { toDescriptor(edition: string): protobuf.Message<IFileDescriptorSet> };
  const set = describable.toDescriptor('proto3');
  const plain = descriptor.FileDescriptorSet.toObject(set) as IFileDescriptorSet;
  return plain.file ?? [];
}

function relativeNames(files: IFileDescriptorProto[]): void {
  const absolute = files.filter(
    (f): f is IFileDescriptorProto & { name: string } => f.name !== undefined && path.isAbsolute(f.name),
  );
  if (absolute.length === 0) return;
  let base = path.dirname(absolute[0]!.name);
  const inside = (file: string): boolean => file.startsWith(base.endsWith(path.sep) ? base : `${base}${path.sep}`);
  for (const file of absolute) while (!inside(file.name) && path.dirname(base) !== base) base = path.dirname(base);
  for (const file of absolute) file.name = path.relative(base, file.name).split(path.sep).join('/');
}

/** Full names (no leading dot) of the messages, enums and services a file declares. */
function indexFile(file: IFileDescriptorProto, symbols: Map<string, IFileDescriptorProto>): void {
  const prefix = file.package ? `${file.package}.` : '';
  const indexMessage = (message: IDescriptorProto, scope: string): void => {
    const name = `${scope}${message.name}`;
    symbols.set(name, file);
    for (const nested of message.nestedType ?? []) indexMessage(nested, `${name}.`);
    for (const e of message.enumType ?? []) symbols.set(`${name}.${e.name}`, file);
  };
  for (const message of file.messageType ?? []) indexMessage(message, prefix);
  for (const e of file.enumType ?? []) symbols.set(`${prefix}${e.name}`, file);
  for (const s of file.service ?? []) symbols.set(`${prefix}${s.name}`, file);
}

/** Qualifies every type reference of the file and lists the files they live in as dependencies. */
function linkFile(file: IFileDescriptorProto, symbols: Map<string, IFileDescriptorProto>): void {
  const dependencies = new Set<string>();
  const qualify = (ref: string | undefined, scope: string): string | undefined => {
    if (!ref) return ref;
    const name = resolveName(ref, scope, symbols);
    if (name === undefined) return ref;
    const owner = symbols.get(name)!;
    if (owner !== file && owner.name) dependencies.add(owner.name);
    return `.${name}`;
  };
  const linkField = (field: IFieldDescriptorProto, scope: string): void => {
    if (field.typeName) field.typeName = qualify(field.typeName, scope);
    if (field.extendee) field.extendee = qualify(field.extendee, scope);
  };
  const linkMessage = (message: IDescriptorProto, scope: string): void => {
    const name = scope ? `${scope}.${message.name}` : (message.name ?? '');
    for (const field of message.field ?? []) linkField(field, name);
    for (const field of message.extension ?? []) linkField(field, name);
    for (const nested of message.nestedType ?? []) linkMessage(nested, name);
  };
  const pkg = file.package ?? '';
  for (const message of file.messageType ?? []) linkMessage(message, pkg);
  for (const field of file.extension ?? []) linkField(field, pkg);
  for (const service of file.service ?? []) {
    for (const method of service.method ?? []) {
      method.inputType = qualify(method.inputType, pkg);
      method.outputType = qualify(method.outputType, pkg);
    }
  }
  file.dependency = [...dependencies].sort();
}

/** Protobuf scoping: `.a.B` is absolute; `B` is searched from the innermost scope outwards. */
function resolveName(ref: string, scope: string, symbols: ReadonlyMap<string, unknown>): string | undefined {
  if (ref.startsWith('.')) return symbols.has(ref.slice(1)) ? ref.slice(1) : undefined;
  for (let current = scope; ; current = current.slice(0, Math.max(0, current.lastIndexOf('.')))) {
    const candidate = current ? `${current}.${ref}` : ref;
    if (symbols.has(candidate)) return candidate;
    if (!current) return undefined;
  }
}

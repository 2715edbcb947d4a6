/**
 * Each file is parsed into its own temporary Root, then merged into the one shared Root.
 * protobufjs alone throws "duplicate name" when two files define the same message, which
 * Semaphore's own examples do (examples/http: service.proto and users.proto both define
 * `com.semaphore.Query {}`), so identical duplicates are accepted here and differing
 * ones reported with both positions.
 */
import protobuf from 'protobufjs';
import type { Diagnostics } from '../errors.js';
import { formatPos } from '../errors.js';
import type { Pos } from '../spec/types.js';
import type { Declarations } from './positions.js';

/** Declaration positions per file, to position diagnostics about reflection objects. */
export class Positions {
  private readonly files = new Map<string, Declarations>();

  add(file: string, declarations: Declarations): void {
    this.files.set(file, declarations);
  }

  imports(file: string): Map<string, Pos> | undefined {
    return this.files.get(file)?.imports;
  }

  /** Where `fullName` (no leading dot) is declared in `file`; line 0 when unknown. */
  of(file: string | null, fullName: string): Pos {
    const name = fullName.startsWith('.') ? fullName.slice(1) : fullName;
    return this.files.get(file ?? '')?.names.get(name) ?? { file: file ?? '<unknown>', line: 0, column: 0 };
  }

  /** Where a reflection object is declared, by its `filename` (set when its file was parsed). */
  ofObject(object: protobuf.ReflectionObject): Pos {
    return this.of(object.filename, object.fullName);
  }
}

/** Records `file` on every object of a freshly parsed root, so messages can name it later. */
export function stampFilename(namespace: protobuf.NamespaceBase, file: string): void {
  for (const object of namespace.nestedArray) {
    object.filename = file;
    if (object instanceof protobuf.Type) {
      for (const field of object.fieldsArray) field.filename = file;
    } else if (object instanceof protobuf.Service) {
      for (const method of object.methodsArray) method.filename = file;
    }
    if (object instanceof protobuf.Namespace) stampFilename(object, file);
  }
}

function isPlainNamespace(object: protobuf.ReflectionObject): object is protobuf.Namespace {
  return (
    object instanceof protobuf.Namespace && !(object instanceof protobuf.Type) && !(object instanceof protobuf.Service)
  );
}

function kindOf(object: protobuf.ReflectionObject): string {
  if (object instanceof protobuf.Type) return 'message';
  if (object instanceof protobuf.Enum) return 'enum';
  if (object instanceof protobuf.Service) return 'service';
  if (object instanceof protobuf.Field) return 'extension';
  return 'package';
}

function sameDefinition(a: protobuf.ReflectionObject, b: protobuf.ReflectionObject): boolean {
  return a.constructor === b.constructor && JSON.stringify(a.toJSON()) === JSON.stringify(b.toJSON());
}

/**
 * Moves everything `source` declares into `target`. Plain namespaces (packages) merge;
 * an identical duplicate keeps the first definition; a differing one is an error.
 */
export function mergeNamespace(
  target: protobuf.NamespaceBase,
  source: protobuf.NamespaceBase,
  positions: Positions,
  diagnostics: Diagnostics,
): void {
  // Copy: moving objects out of `source` mutates its nestedArray.
  for (const child of [...source.nestedArray]) {
    const existing = target.get(child.name);
    if (!existing) {
      source.remove(child);
      target.add(child);
    } else if (isPlainNamespace(child) && existing instanceof protobuf.Namespace) {
      mergeNamespace(existing, child, positions, diagnostics);
    } else if (isPlainNamespace(existing) && child instanceof protobuf.Namespace) {
      // A message or service named like an existing package: the definition takes the
      // package's place and keeps what the package held (protobufjs does the same).
      target.remove(existing);
      source.remove(child);
      target.add(child);
      mergeNamespace(child, existing, positions, diagnostics);
    } else if (!sameDefinition(existing, child)) {
      const first = positions.ofObject(existing);
      const second = positions.ofObject(child);
      const name = child.fullName.slice(1);
      diagnostics.error(
        'MAESTRO_ERR_SCHEMA_DUPLICATE',
        second,
        `${kindOf(child)} "${name}" is defined differently in ${formatPos(first)} and ${formatPos(second)}` +
          ' — rename one of them or make both definitions identical',
      );
    }
  }
}

/**
 * Checks that every field, extension and method type can be found, reporting each missing
 * one at its declaration: protobufjs's resolveAll stops at the first and gives no
 * position. Only lookups here (Field.resolve builds the message constructor, which
 * touches the other fields and would fail on them too); resolveAll follows when clean.
 */
export function checkTypes(namespace: protobuf.NamespaceBase, positions: Positions, diagnostics: Diagnostics): void {
  for (const object of namespace.nestedArray) {
    if (object instanceof protobuf.Type) {
      for (const field of object.fieldsArray) {
        if (lookupFieldType(field)) continue;
        diagnostics.error(
          'MAESTRO_ERR_SCHEMA_TYPE',
          positions.ofObject(field),
          `unknown type "${field.type}" for field "${field.name}" of message "${object.fullName.slice(1)}"`,
        );
      }
    } else if (object instanceof protobuf.Field) {
      // An extension (`extend google.protobuf.ServiceOptions { Service service = 50012; }`).
      if (!lookupFieldType(object)) {
        diagnostics.error(
          'MAESTRO_ERR_SCHEMA_TYPE',
          positions.ofObject(object),
          `unknown type "${object.type}" for extension "${object.fullName.slice(1)}"`,
        );
      }
    } else if (object instanceof protobuf.Service) {
      for (const method of object.methodsArray) {
        for (const name of [method.requestType, method.responseType]) {
          if (lookup(object, name, true)) continue;
          diagnostics.error(
            'MAESTRO_ERR_SCHEMA_TYPE',
            positions.ofObject(method),
            `unknown message "${name}" in method "${object.fullName.slice(1)}.${method.name}"`,
          );
        }
      }
    }
    if (object instanceof protobuf.Namespace) checkTypes(object, positions, diagnostics);
  }
}

const SCALARS = new Set(Object.keys(protobuf.types.defaults));

function lookup(
  from: protobuf.NamespaceBase,
  name: string,
  messageOnly: boolean,
): protobuf.Type | protobuf.Enum | undefined {
  try {
    return messageOnly ? from.lookupType(name) : from.lookupTypeOrEnum(name);
  } catch {
    return undefined;
  }
}

/**
 * The message or enum a field refers to, without resolving the field; undefined for a
 * scalar or when not found. Extension sister fields look up from their declaration.
 */
export function lookupFieldType(field: protobuf.Field): protobuf.Type | protobuf.Enum | 'scalar' | undefined {
  if (field.resolvedType) return field.resolvedType;
  if (SCALARS.has(field.type)) return 'scalar';
  const from = field.declaringField?.parent ?? field.parent;
  return from ? lookup(from as protobuf.NamespaceBase, field.type, false) : undefined;
}

/**
 * `avro = ["./x.avsc"]`: message types from Avro schemas (a file holds one schema or a
 * list of them). avsc checks each schema first; then records become messages, enums
 * enums, arrays repeated fields and maps proto maps:
 *
 *   record com.shop.Order { string id; long total; array<string> tags; ["null", Address] ship }
 *   → message com.shop.Order { string id = 1; int64 total = 2; repeated string tags = 3; Address ship = 4; }
 *
 * `["null", T]` is an optional T; other unions have no proto form and are reported at
 * their file:line, as is any schema avsc refuses.
 */
import avro from 'avsc';
import type { Diagnostics } from '../errors.js';
import type { Pos } from '../spec/types.js';
import { DescriptorBuilder, type ConvertedFile, type DescriptorField } from './descriptor.js';
import { readSourceDocument, type PathSegment, type SourceDocument } from './document.js';

type Json = Record<string, unknown>;

const PRIMITIVES: Record<string, string> = {
  boolean: 'bool',
  int: 'int32',
  long: 'int64',
  float: 'float',
  double: 'double',
  bytes: 'bytes',
  string: 'string',
};

export function loadAvro(files: Array<{ file: string; from: Pos }>, diagnostics: Diagnostics): ConvertedFile[] {
  const out: ConvertedFile[] = [];
  for (const { file, from } of files) {
    const doc = readSourceDocument(file, from, diagnostics, 'Avro schema');
    if (!doc) continue;
    const schemas = Array.isArray(doc.value) ? doc.value : [doc.value];
    const registry: Record<string, avro.Type> = {};
    let valid = true;
    schemas.forEach((schema, index) => {
      try {
        avro.Type.forSchema(schema as avro.Schema, { registry });
      } catch (error) {
        valid = false;
        const path = Array.isArray(doc.value) ? [index] : [];
        diagnostics.error(
          'MAESTRO_ERR_AVRO',
          locate(doc, (error as Error).message, path),
          `invalid Avro schema: ${(error as Error).message}`,
        );
      }
    });
    if (!valid) continue;
    const converter = new AvroConverter(doc, diagnostics);
    schemas.forEach((schema, index) => converter.named(schema, '', Array.isArray(doc.value) ? [index] : []));
    out.push(converter.builder.result());
  }
  return out;
}

/** avsc's messages quote the offending name or type: find where the file writes it. */
function locate(doc: SourceDocument, message: string, fallback: PathSegment[]): Pos {
  const quoted = /"([^"]+)"/.exec(message)?.[1] ?? /: (\S+)$/.exec(message)?.[1];
  if (quoted) {
    const found = findValue(doc.value, quoted.replace(/^.*\./, ''), []);
    if (found) return doc.at(found);
  }
  return doc.at(fallback);
}

function findValue(value: unknown, wanted: string, path: PathSegment[]): PathSegment[] | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findValue(value[i], wanted, [...path, i]);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (item === wanted) return [...path, key];
      const found = findValue(item, wanted, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

class AvroConverter {
  readonly builder: DescriptorBuilder;

  constructor(
    private readonly doc: SourceDocument,
    private readonly diagnostics: Diagnostics,
  ) {
    this.builder = new DescriptorBuilder(doc.file);
  }

  /** Declares a named type (record, enum) and returns its proto type reference. */
  named(schema: unknown, namespace: string, at: PathSegment[]): string | undefined {
    if (!isObject(schema) || typeof schema.name !== 'string') return this.type(schema, namespace, at);
    const own = typeof schema.namespace === 'string' ? schema.namespace : namespace;
    const fullName = schema.name.includes('.') ? schema.name : own ? `${own}.${schema.name}` : schema.name;
    const inner = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : '';
    if (schema.type === 'enum') {
      if (!this.builder.has(fullName))
        this.builder.addEnum(fullName, (schema.symbols as string[]) ?? [], this.doc.at([...at, 'name']));
    } else if (schema.type === 'record' || schema.type === 'error') {
      if (!this.builder.has(fullName)) this.record(fullName, schema, inner, at);
    } else if (schema.type === 'fixed') {
      return 'bytes';
    } else {
      return this.type(schema, namespace, at);
    }
    return `.${fullName}`;
  }

  private record(fullName: string, schema: Json, namespace: string, at: PathSegment[]): void {
    const fields: DescriptorField[] = [];
    this.builder.addMessage(fullName, fields, this.doc.at([...at, 'name'])); // recursive references stop here
    const list = Array.isArray(schema.fields) ? schema.fields : [];
    list.forEach((field: unknown, index) => {
      if (!isObject(field) || typeof field.name !== 'string') return;
      const where = [...at, 'fields', index, 'type'];
      const converted = this.field(field.name, field.type, namespace, where);
      if (converted) fields.push(converted);
    });
    this.builder.addMessage(fullName, fields, this.doc.at([...at, 'name']));
  }

  private field(name: string, schema: unknown, namespace: string, at: PathSegment[]): DescriptorField | undefined {
    const type = unwrapOptional(schema);
    if (type === undefined) return this.unsupported(at, 'unions other than ["null", T] have no proto form');
    if (isObject(type) && type.type === 'array') {
      if (isObject(type.items) && (type.items.type === 'array' || type.items.type === 'map'))
        return this.unsupported(at, 'arrays of arrays or maps are not supported');
      const item = this.named(type.items, namespace, [...at, 'items']);
      return item ? { name, type: item, repeated: true } : undefined;
    }
    if (isObject(type) && type.type === 'map') {
      const value = this.named(type.values, namespace, [...at, 'values']);
      return value ? { name, type: value, keyType: 'string' } : undefined;
    }
    const converted = this.named(type, namespace, at);
    return converted ? { name, type: converted } : undefined;
  }

  /** Primitives, references to named types, and `{type: primitive}` wrappers. */
  private type(schema: unknown, namespace: string, at: PathSegment[]): string | undefined {
    if (typeof schema === 'string') {
      if (schema in PRIMITIVES) return PRIMITIVES[schema];
      const fullName = schema.includes('.') || !namespace ? schema : `${namespace}.${schema}`;
      return `.${fullName}`;
    }
    if (isObject(schema) && typeof schema.type === 'string' && schema.type in PRIMITIVES)
      return PRIMITIVES[schema.type];
    return this.unsupported(at, `Avro type ${JSON.stringify(schema)} is not supported here`);
  }

  private unsupported(at: PathSegment[], message: string): undefined {
    this.diagnostics.error('MAESTRO_ERR_AVRO', this.doc.at(at), message);
    return undefined;
  }
}

/** `["null", T]` → T; a non-union → itself; any other union → undefined. */
function unwrapOptional(schema: unknown): unknown {
  if (!Array.isArray(schema)) return schema;
  const others = schema.filter((s) => s !== 'null');
  return others.length === 1 && schema.length === 2 ? others[0] : undefined;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

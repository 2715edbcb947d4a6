/**
 * `openapi3 = ["./api.yaml"]`: message types and services from OpenAPI 3 documents.
 *
 *   components.schemas.X (object)      → message X
 *   inline request/response objects    → message <Service>.<operationId>Request / Response
 *   the document                       → service named by `x-maestro-service` (info or root),
 *                                        else info.title in PascalCase; host = servers[0].url
 *   each operation                     → method <operationId>, with its HTTP method and path
 *                                        (`/pets/{id}` → `/pets/:id`)
 *
 * The document is checked by @readme/openapi-parser first; every problem is reported at
 * the file:line where it is written (the YAML/JSON source positions are kept).
 */
import { validate } from '@readme/openapi-parser';
import type { Diagnostics } from '../errors.js';
import type { MethodSpec, Pos, Positioned, ServiceSpec } from '../spec/types.js';
import {
  DescriptorBuilder,
  pascalIdentifier,
  safeTypeName,
  type ConvertedFile,
  type DescriptorField,
} from './descriptor.js';
import { readSourceDocument, type PathSegment, type SourceDocument } from './document.js';
import { jsonLinePaths } from './json-lines.js';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export interface OpenapiResult {
  types: ConvertedFile[];
  services: ServiceSpec[];
}

export async function loadOpenapi(
  files: Array<{ file: string; from: Pos }>,
  diagnostics: Diagnostics,
): Promise<OpenapiResult> {
  const result: OpenapiResult = { types: [], services: [] };
  for (const { file, from } of files) {
    const doc = readSourceDocument(file, from, diagnostics, 'OpenAPI document');
    if (!doc) continue;
    if (!(await validDocument(doc, diagnostics))) continue;
    const converted = new OpenapiConverter(doc, diagnostics).convert();
    result.types.push(converted.types);
    result.services.push(converted.service);
  }
  return result;
}

async function validDocument(doc: SourceDocument, diagnostics: Diagnostics): Promise<boolean> {
  const value = doc.value;
  if (!isObject(value) || typeof value.openapi !== 'string' || !value.openapi.startsWith('3.')) {
    diagnostics.error(
      'MAESTRO_ERR_OPENAPI',
      doc.at(['openapi']),
      'not an OpenAPI 3 document (openapi: "3.x" is missing)',
    );
    return false;
  }
  const result = await validate(structuredClone(value) as never, { validate: { errors: { colorize: false } } });
  if (result.valid) return true;
  // The validator quotes the document as JSON.stringify(doc, null, 2) with a line marker;
  // that line is mapped back to the path, and the path to where the file writes it.
  const lines = jsonLinePaths(value);
  for (const error of result.errors) {
    const [summary = 'invalid document', ...frame] = error.message.split('\n');
    const marked = frame.map((l) => /^>\s*(\d+)\s*\|/.exec(l)).find(Boolean);
    // Rule errors name the place as a slash path in backticks (`/paths/items/{sku}/put`).
    const quoted = /`(\/[^`]*)`/.exec(summary)?.[1];
    const path = marked ? (lines[Number(marked[1]) - 1] ?? []) : quoted ? slashPath(value, quoted) : [];
    const hint = frame.map((l) => /\^\s*(.+)$/.exec(l)?.[1]).find(Boolean);
    diagnostics.error(
      'MAESTRO_ERR_OPENAPI',
      doc.at(path),
      `invalid OpenAPI document: ${summary.trim()}${hint ? ` (${hint.trim()})` : ''}`,
    );
  }
  return false;
}

class OpenapiConverter {
  private readonly builder: DescriptorBuilder;
  private readonly root: Json;
  private readonly components: Json;
  private readonly serviceName: string;

  constructor(
    private readonly doc: SourceDocument,
    private readonly diagnostics: Diagnostics,
  ) {
    this.builder = new DescriptorBuilder(doc.file);
    this.root = doc.value as Json;
    const info = isObject(this.root.info) ? this.root.info : {};
    const named = info['x-maestro-service'] ?? this.root['x-maestro-service'];
    this.serviceName =
      typeof named === 'string' && named !== '' ? safeTypeName(named) : pascalIdentifier(String(info.title ?? 'Api'));
    const components =
      isObject(this.root.components) && isObject(this.root.components.schemas) ? this.root.components.schemas : {};
    this.components = components;
  }

  convert(): { types: ConvertedFile; service: ServiceSpec } {
    for (const [name, schema] of Object.entries(this.components)) {
      if (isObject(schema) && isObjectSchema(schema))
        this.message(safeTypeName(name), schema, ['components', 'schemas', name]);
    }
    const dot = this.serviceName.lastIndexOf('.');
    const pos = this.doc.at(['info', 'title']);
    const service: ServiceSpec = {
      package: dot < 0 ? '' : this.serviceName.slice(0, dot),
      name: dot < 0 ? this.serviceName : this.serviceName.slice(dot + 1),
      fullName: this.serviceName,
      transport: { value: 'http', pos },
      codec: { value: 'json', pos },
      options: {},
      methods: [],
      pos,
    };
    const host = serverUrl(this.root.servers);
    if (host) service.host = { value: host, pos: this.doc.at(['servers', 0, 'url']) };
    const paths = isObject(this.root.paths) ? this.root.paths : {};
    for (const [path, item] of Object.entries(paths)) {
      if (!isObject(item)) continue;
      for (const method of METHODS) {
        const operation = item[method];
        if (isObject(operation)) service.methods.push(this.method(path, method, operation));
      }
    }
    return { types: this.builder.result(), service };
  }

  private method(path: string, verb: string, operation: Json): MethodSpec {
    const at = ['paths', path, verb];
    const pos = this.doc.at(at);
    const name =
      typeof operation.operationId === 'string'
        ? safeTypeName(operation.operationId).replace(/\./g, '_')
        : `${verb}${pascalIdentifier(path)}`;
    const method: MethodSpec = {
      name,
      options: {
        endpoint: { value: path.replace(/\{([^}]+)\}/g, ':$1'), pos },
        method: { value: verb.toUpperCase(), pos },
      },
      pos,
    };
    const body = jsonSchemaOf(this.local(operation.requestBody));
    const request = body && this.typeName(body, `${this.serviceName}.${name}Request`, [...at, 'requestBody']);
    if (request) method.request = request;
    const responses = isObject(operation.responses) ? operation.responses : {};
    const key =
      Object.keys(responses).find((k) => /^2(\d\d|XX)$/.test(k)) ?? ('default' in responses ? 'default' : undefined);
    const answer = key ? jsonSchemaOf(this.local(responses[key])) : undefined;
    const response = answer && this.typeName(answer, `${this.serviceName}.${name}Response`, [...at, 'responses', key!]);
    if (response) method.response = response;
    return method;
  }

  /** A request body or response, through a local `$ref` (`#/components/responses/Pet`) if it is one. */
  private local(value: unknown): Json | undefined {
    if (!isObject(value)) return undefined;
    if (typeof value.$ref !== 'string' || !value.$ref.startsWith('#/')) return value;
    let node: unknown = this.root;
    for (const part of value.$ref.slice(2).split('/'))
      node = isObject(node) ? node[decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'))] : undefined;
    return isObject(node) ? node : undefined;
  }

  /** The message a body schema names or defines; undefined (untyped) for other shapes. */
  private typeName(schema: Json, inlineName: string, at: PathSegment[]): Positioned<string> | undefined {
    const pos = this.doc.at(at);
    const ref = this.refName(schema);
    if (ref !== undefined) {
      const target = this.components[ref];
      return isObject(target) && isObjectSchema(target) ? { value: safeTypeName(ref), pos } : undefined;
    }
    if (!isObjectSchema(schema)) return undefined;
    this.message(inlineName, schema, at);
    return { value: inlineName, pos };
  }

  private message(fullName: string, schema: Json, at: PathSegment[]): void {
    if (this.builder.has(fullName)) return;
    const fields: DescriptorField[] = [];
    this.builder.addMessage(fullName, fields, this.doc.at(at)); // first, so recursive references stop here
    const properties = isObject(schema.properties) ? schema.properties : {};
    for (const [name, property] of Object.entries(properties)) {
      const field = isObject(property)
        ? this.field(name, property, `${fullName}.${pascalIdentifier(name)}`, [...at, 'properties', name])
        : undefined;
      if (field) fields.push(field);
    }
    this.builder.addMessage(fullName, fields, this.doc.at(at));
  }

  private field(name: string, schema: Json, nestedName: string, at: PathSegment[]): DescriptorField | undefined {
    if (schema.type === 'array') {
      const items = isObject(schema.items) ? schema.items : {};
      if (items.type === 'array') return this.unsupported(at, 'arrays of arrays are not supported');
      const item = this.field(name, items, nestedName, [...at, 'items']);
      return item && !item.keyType
        ? { ...item, repeated: true }
        : item && this.unsupported(at, 'arrays of maps are not supported');
    }
    const type = this.fieldType(schema, nestedName, at);
    if (type === undefined) return undefined;
    if (typeof type === 'object') return { name, type: type.map, keyType: 'string' };
    return { name, type };
  }

  /** A scalar name or `.Message`; `{map}` for an object of additionalProperties. */
  private fieldType(schema: Json, nestedName: string, at: PathSegment[]): string | { map: string } | undefined {
    const ref = this.refName(schema);
    if (ref !== undefined) {
      const target = this.components[ref];
      if (!isObject(target)) return this.unsupported(at, `$ref "${String(schema.$ref)}" names no component schema`);
      if (isObjectSchema(target)) return `.${safeTypeName(ref)}`;
      return this.fieldType(target, nestedName, ['components', 'schemas', ref]);
    }
    if (schema.oneOf || schema.anyOf || schema.allOf)
      return this.unsupported(at, 'oneOf, anyOf and allOf are not supported');
    switch (schema.type) {
      case 'string':
        return schema.format === 'byte' || schema.format === 'binary' ? 'bytes' : 'string';
      case 'integer':
        return schema.format === 'int32' ? 'int32' : 'int64';
      case 'number':
        return schema.format === 'float' ? 'float' : 'double';
      case 'boolean':
        return 'bool';
      case 'array':
        return this.unsupported(at, 'arrays of arrays are not supported');
      default:
        if (!isObjectSchema(schema)) return this.unsupported(at, `type "${String(schema.type)}" is not supported`);
        if (!isObject(schema.properties) && isObject(schema.additionalProperties)) {
          const value = this.fieldType(schema.additionalProperties, nestedName, [...at, 'additionalProperties']);
          return typeof value === 'string' ? { map: value } : this.unsupported(at, 'maps of maps are not supported');
        }
        this.message(nestedName, schema, at);
        return `.${nestedName}`;
    }
  }

  private refName(schema: Json): string | undefined {
    if (typeof schema.$ref !== 'string') return undefined;
    const prefix = '#/components/schemas/';
    return schema.$ref.startsWith(prefix) ? decodeURIComponent(schema.$ref.slice(prefix.length)) : '';
  }

  private unsupported(at: PathSegment[], message: string): undefined {
    this.diagnostics.error('MAESTRO_ERR_OPENAPI', this.doc.at(at), `${message} (OpenAPI schema)`);
    return undefined;
  }
}

/**
 * `/paths/items/{sku}/put` → ['paths', '/items/{sku}', 'put']: keys may hold slashes, so
 * each level takes the longest key that the rest of the text starts with.
 */
function slashPath(root: unknown, text: string): PathSegment[] {
  const path: PathSegment[] = [];
  let node = root;
  let rest = text;
  while (rest.startsWith('/') && isObject(node)) {
    const body = rest.slice(1);
    const key = Object.keys(node)
      .filter(
        (k) =>
          body === k || body.startsWith(`${k}/`) || (k.startsWith('/') && (rest === k || rest.startsWith(`${k}/`))),
      )
      .sort((a, b) => b.length - a.length)[0];
    if (key === undefined) break;
    path.push(key);
    node = node[key];
    rest = key.startsWith('/') && rest.startsWith(key) ? rest.slice(key.length) : body.slice(key.length);
  }
  return path;
}

/**
 * `servers[0].url` with its variables at their defaults (`http://{host}:8080`), when that
 * is an absolute http(s) URL; relative ones name no host.
 */
function serverUrl(servers: unknown): string | undefined {
  if (!Array.isArray(servers) || !isObject(servers[0]) || typeof servers[0].url !== 'string') return undefined;
  const variables = isObject(servers[0].variables) ? servers[0].variables : {};
  const url = servers[0].url.replace(/\{([^}]+)\}/g, (all, name: string) => {
    const variable = variables[name];
    return isObject(variable) && typeof variable.default === 'string' ? variable.default : all;
  });
  return /^https?:\/\/[^{}]+$/.test(url) ? url : undefined;
}

/** The schema of the JSON content of a request body or response (else the first content). */
function jsonSchemaOf(holder: Json | undefined): Json | undefined {
  if (!holder || !isObject(holder.content)) return undefined;
  const content = holder.content['application/json'] ?? Object.values(holder.content)[0];
  return isObject(content) && isObject(content.schema) ? content.schema : undefined;
}

function isObjectSchema(schema: Json): boolean {
  return (
    schema.type === 'object' ||
    (schema.type === undefined && (isObject(schema.properties) || isObject(schema.additionalProperties)))
  );
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Resolves `resource[.part]:path` references to getters over the ExecContext, checking
 * them against the schemas. Every reference to another resource is recorded as a
 * dependency of the site that makes it.
 */
import { didYouMean, type Diagnostics } from '../errors.js';
import type { TemplateFunction } from '../functions/function.js';
import type { MessageType, SchemaRegistry } from '../schema/types.js';
import type { Pos } from '../spec/types.js';
import type { ReferenceExpression } from '../template/ast.js';
import type { ExecContext, Getter } from './plan.js';
import { DYNAMIC, elementType, fieldStaticType, type StaticType } from './static-type.js';

/** What a flow's templates can see. Built once per flow. */
export interface FlowScope {
  /** `flow "checkout"` / `proxy "gateway"`, for messages. */
  label: string;
  kind: 'flow' | 'proxy';
  nodes: Map<string, NodeInfo>;
  inputType: MessageType | undefined;
  /** Lower-cased declared input headers. */
  inputHeaders: Set<string>;
  /** Path parameter names of the flow's HTTP endpoints (visible as `input:<name>`). */
  endpointParams: Set<string>;
  functions: Map<string, TemplateFunction>;
  schemas: SchemaRegistry;
  diagnostics: Diagnostics;
}

export interface NodeInfo {
  name: string;
  index: number;
  /** Type of the response (or of the value, for value resources). */
  response: StaticType;
  request: StaticType;
}

/** One place templates are compiled: a resource's request, an output, an error object… */
export interface Site {
  scope: FlowScope;
  /** ` in resource "x" of flow "y"`, appended to messages. */
  where: string;
  pos: Pos;
  /** The resource the site belongs to, if any. */
  self: NodeInfo | undefined;
  /** Rollbacks, on_error and error objects may read their own resource. */
  allowSelf: boolean;
  /** `error:` and `<self>.error:` are readable (error objects and on_error). */
  allowError: boolean;
  /** Referenced resources (not self), collected as edges. */
  deps: Set<number>;
  /** Enclosing `repeated` blocks, innermost last. */
  elements: ElementFrame[];
}

export interface ElementFrame {
  resource: string;
  part: string;
  path: string[];
  type: StaticType;
}

export interface Resolved {
  get: Getter;
  type: StaticType;
}

const NODE_PARTS = ['response', 'request', 'header', 'error'];
const INPUT_PARTS = ['request', 'header', 'params', 'remote'];

export function resolveReference(ref: ReferenceExpression, site: Site): Resolved | undefined {
  const element = resolveElement(ref, site);
  if (element) return element;
  // `item:` of a for_each that did not resolve has been reported already.
  if (ref.resource === 'item' && site.elements[0]?.resource === 'item') return undefined;
  if (ref.resource === 'input') return resolveInput(ref, site);
  if (ref.resource === 'error') return resolveError(ref, site);
  const node = site.scope.nodes.get(ref.resource);
  if (!node) {
    const names = [...site.scope.nodes.keys(), 'input', ...(site.allowError ? ['error'] : [])];
    report(
      site,
      `unknown resource "${ref.resource}" in "{{ ${ref.text} }}"${site.where}${didYouMean(ref.resource, names)}`,
    );
    return undefined;
  }
  const part = ref.part ?? 'response';
  if (!NODE_PARTS.includes(part)) {
    report(site, `unknown part "${part}" of resource "${node.name}"${site.where}${didYouMean(part, NODE_PARTS)}`);
    return undefined;
  }
  const isSelf = site.self?.index === node.index;
  if (isSelf && !site.allowSelf) {
    report(site, `resource "${node.name}" references itself${site.where}; only its rollback, error and on_error may`);
    return undefined;
  }
  if (part === 'error' && !(isSelf && site.allowError)) {
    report(
      site,
      `"${ref.text}": the error of resource "${node.name}" is readable only in its own on_error and error blocks${site.where}`,
    );
    return undefined;
  }
  if (!isSelf) site.deps.add(node.index);
  const i = node.index;
  // In a for_each rollback, the resource itself reads as the answer for the current item.
  if (isSelf && site.elements[0]?.resource === 'item' && part === 'response') {
    return walk((ctx) => ctx.responses[i], elementType(node.response), ref, site);
  }
  switch (part) {
    case 'header':
      return { get: headerGetter((ctx) => ctx.responseHeaders[i], ref.path), type: DYNAMIC };
    case 'request':
      return walk((ctx) => ctx.requests[i], node.request, ref, site);
    case 'error':
      return { get: pathGetter((ctx) => ctx.upstreamErrors[i], ref.path), type: DYNAMIC };
    default:
      return walk((ctx) => ctx.responses[i], node.response, ref, site);
  }
}

function resolveInput(ref: ReferenceExpression, site: Site): Resolved | undefined {
  const part = ref.part ?? 'request';
  if (!INPUT_PARTS.includes(part)) {
    report(site, `unknown part "${part}" of input${site.where}${didYouMean(part, INPUT_PARTS)}`);
    return undefined;
  }
  if (part === 'header') {
    const name = ref.path.join('.').toLowerCase();
    if (name && !site.scope.inputHeaders.has(name)) {
      report(
        site,
        `header "${ref.path.join('.')}" is not declared in the input of ${site.scope.label}; add it to input { header = [...] }`,
      );
      return undefined;
    }
    return { get: headerGetter((ctx) => ctx.inputHeader, ref.path), type: DYNAMIC };
  }
  if (part === 'params') return { get: pathGetter((ctx) => ctx.inputParams, ref.path), type: DYNAMIC };
  if (part === 'remote') return resolveRemote(ref, site);
  const type = site.scope.inputType;
  const first = ref.path[0];
  // Path parameters are readable as input:<name> when the message has no such field.
  if (
    type &&
    first !== undefined &&
    !type.fields.has(first) &&
    site.scope.endpointParams.has(first) &&
    ref.path.length === 1
  ) {
    return {
      get: pathGetter((ctx) => ctx.input, ref.path),
      type: { kind: 'typed', category: 'string', repeated: false },
    };
  }
  const root: StaticType = type ? { kind: 'typed', category: 'message', repeated: false, message: type } : DYNAMIC;
  return walk((ctx) => ctx.input, root, ref, site);
}

/** `input.remote:address`: the client's IP address, a string. */
function resolveRemote(ref: ReferenceExpression, site: Site): Resolved | undefined {
  if (ref.path.length !== 1 || ref.path[0] !== 'address') {
    report(site, `unknown field "${ref.path.join('.')}" of input.remote; use input.remote:address${site.where}`);
    return undefined;
  }
  return {
    get: (ctx) => ctx.remoteAddress,
    type: { kind: 'typed', category: 'string', repeated: false, scalar: 'string' },
  };
}

function resolveError(ref: ReferenceExpression, site: Site): Resolved | undefined {
  if (!site.allowError) {
    report(site, `"${ref.text}": error is readable only in error and on_error blocks${site.where}`);
    return undefined;
  }
  const part = ref.part ?? 'response';
  if (part === 'params') return { get: pathGetter((ctx) => ctx.errorParams, ref.path), type: DYNAMIC };
  if (part !== 'response') {
    report(site, `unknown part "${part}" of error${site.where}${didYouMean(part, ['response', 'params'])}`);
    return undefined;
  }
  const field = ref.path[0];
  if (ref.path.length === 1 && field === 'status') {
    return {
      get: (ctx) => ctx.error?.status,
      type: { kind: 'typed', category: 'number', repeated: false, scalar: 'int64' },
    };
  }
  if (ref.path.length === 1 && field === 'message') {
    return {
      get: (ctx) => ctx.error?.message,
      type: { kind: 'typed', category: 'string', repeated: false, scalar: 'string' },
    };
  }
  report(site, `unknown field "${ref.path.join('.')}" of error; use error:message or error:status${site.where}`);
  return undefined;
}

/** Inside `repeated "x" "input:items"`, `input:items.sku` reads the current element. */
function resolveElement(ref: ReferenceExpression, site: Site): Resolved | undefined {
  for (let depth = site.elements.length - 1; depth >= 0; depth--) {
    const frame = site.elements[depth]!;
    if (frame.resource !== ref.resource || frame.part !== (ref.part ?? defaultPart(ref.resource))) continue;
    if (ref.path.length < frame.path.length || frame.path.some((s, i) => ref.path[i] !== s)) continue;
    const rest = ref.path.slice(frame.path.length);
    const rel: ReferenceExpression = { ...ref, path: rest };
    return walk((ctx) => ctx.elements[depth], elementType(frame.type), rel, site);
  }
  return undefined;
}

function defaultPart(resource: string): string {
  return resource === 'input' ? 'request' : 'response';
}

/** Walks a path through a static type, reporting unknown fields, and builds its getter. */
function walk(base: Getter, root: StaticType, ref: ReferenceExpression, site: Site): Resolved | undefined {
  let type = root;
  for (const [i, segment] of ref.path.entries()) {
    if (type.kind === 'dynamic') break;
    if (type.repeated) {
      report(
        site,
        `"${ref.text}": ${ref.path.slice(0, i).join('.') || ref.resource} is a list; read it whole or use a repeated block${site.where}`,
      );
      return undefined;
    }
    if (type.category !== 'message' || !type.message) {
      if (type.category === 'map' || type.category === 'object') {
        type = DYNAMIC;
        break;
      }
      report(site, `"${ref.text}": ${ref.path.slice(0, i).join('.') || ref.resource} is not a message${site.where}`);
      return undefined;
    }
    const field = type.message.fields.get(segment);
    if (!field) {
      report(
        site,
        `unknown field "${segment}" in "{{ ${ref.text} }}": message ${type.message.fullName} has no such field${site.where}${didYouMean(segment, type.message.fields.keys())}`,
      );
      return undefined;
    }
    type = fieldStaticType(field);
  }
  return { get: pathGetter(base, ref.path), type };
}

function report(site: Site, message: string): void {
  site.scope.diagnostics.error('MAESTRO_ERR_REFERENCE', site.pos, message);
}

/** Reads `path` below `base`; specialised for short paths, which are the common case. */
export function pathGetter(base: Getter, path: readonly string[]): Getter {
  const [a, b] = path;
  switch (path.length) {
    case 0:
      return base;
    case 1:
      return (ctx) => child(base(ctx), a!);
    case 2:
      return (ctx) => child(child(base(ctx), a!), b!);
    default:
      return (ctx) => {
        let value = base(ctx);
        for (const segment of path) value = child(value, segment);
        return value;
      };
  }
}

function child(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  return (value as Record<string, unknown>)[key];
}

/** Header names are case-insensitive: stored lower-cased, read lower-cased. */
function headerGetter(base: (ctx: ExecContext) => Record<string, string> | undefined, path: readonly string[]): Getter {
  const name = path.join('.').toLowerCase();
  if (!name) return base;
  return (ctx) => base(ctx)?.[name];
}

/**
 * Compiles HCL values and message-shaped bodies into getters, checking each field
 * against its message type. A string value may hold templates; a body is built into a
 * fresh object per request with its keys in file order.
 */
import { didYouMean } from '../errors.js';
import type { TemplateFunction } from '../functions/function.js';
import type { MessageType } from '../schema/types.js';
import type { FieldSpec, HclValue, Pos, RepeatedField } from '../spec/types.js';
import type { CallExpression, Expression } from '../template/ast.js';
import { buildExpression, buildTemplate, parseReference, parseTemplate } from '../template/index.js';
import type { Getter, NamedGetters } from './plan.js';
import { withProtoDefault } from './proto-defaults.js';
import { resolveReference, type Resolved, type Site } from './references.js';
import {
  assignable,
  describe,
  DYNAMIC,
  fieldStaticType,
  literalType,
  resultType,
  type StaticType,
} from './static-type.js';

const STRING: StaticType = { kind: 'typed', category: 'string', repeated: false };
const constant =
  (value: unknown): Getter =>
  () =>
    value;

/** A value as written in HCL: a literal, a template string, a list or an object. */
export function compileValue(value: HclValue, site: Site, pos: Pos): Resolved {
  if (typeof value === 'string') return compileString(value, { ...site, pos });
  if (Array.isArray(value)) {
    const items = value.map((v) => compileValue(v, site, pos));
    const getters = items.map((i) => i.get);
    const allConstant = value.every((v) => typeof v !== 'string' || !hasTemplate(v));
    if (allConstant) return { get: constant(value), type: DYNAMIC };
    return { get: (ctx) => getters.map((g) => g(ctx)), type: DYNAMIC };
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, compileValue(v, site, pos).get] as const);
    return { get: objectBuilder(entries), type: { kind: 'typed', category: 'object', repeated: false } };
  }
  return { get: constant(value), type: literalType(value) };
}

function hasTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('<<');
}

export function compileString(text: string, site: Site): Resolved {
  let template;
  try {
    template = parseTemplate(text);
  } catch (error) {
    site.scope.diagnostics.error(
      'MAESTRO_ERR_TEMPLATE',
      site.pos,
      `invalid template "${text}": ${(error as Error).message}${site.where}`,
    );
    return { get: constant(undefined), type: DYNAMIC };
  }
  if (template.kind === 'plain') return { get: constant(template.value), type: STRING };
  const resolved = new Map<Expression, Resolved>();
  let ok = true;
  const check = (e: Expression): StaticType => {
    if (e.kind === 'literal') return literalType(e.value);
    if (e.kind === 'reference') {
      const r = resolveReference(e, site);
      if (!r) {
        ok = false;
        return DYNAMIC;
      }
      resolved.set(e, r);
      return r.type;
    }
    e.args.forEach(check);
    const fn = lookupFunction(e, site);
    if (!fn) {
      ok = false;
      return DYNAMIC;
    }
    return resultType(fn.returns);
  };
  let type: StaticType = STRING;
  if (template.kind === 'single') type = check(template.expression);
  else for (const part of template.parts) if (typeof part !== 'string') check(part);
  if (!ok) return { get: constant(undefined), type: DYNAMIC };
  const leaf = (ref: Expression) => resolved.get(ref)!.get;
  const fn = (call: CallExpression) => site.scope.functions.get(call.name)!;
  const get =
    template.kind === 'single' ? buildExpression(template.expression, leaf, fn) : buildTemplate(template, leaf, fn);
  return { get, type };
}

function lookupFunction(call: CallExpression, site: Site): TemplateFunction | undefined {
  const fn = site.scope.functions.get(call.name);
  if (!fn) {
    site.scope.diagnostics.error(
      'MAESTRO_ERR_FUNCTION_UNKNOWN',
      site.pos,
      `unknown function "${call.name}"${site.where}${didYouMean(call.name, site.scope.functions.keys())}`,
    );
    return undefined;
  }
  if (call.args.length < fn.minArgs || call.args.length > fn.maxArgs) {
    const expected =
      fn.minArgs === fn.maxArgs
        ? `${fn.minArgs}`
        : fn.maxArgs === Infinity
          ? `at least ${fn.minArgs}`
          : `${fn.minArgs} to ${fn.maxArgs}`;
    site.scope.diagnostics.error(
      'MAESTRO_ERR_FUNCTION_ARITY',
      site.pos,
      `function ${call.name} takes ${expected} argument(s), got ${call.args.length}${site.where}`,
    );
    return undefined;
  }
  return fn;
}

/**
 * A message body: fields, nested messages and repeated blocks, checked against `type`
 * when there is one. Absent values are left out of the built object, except that with
 * `protoDefaults` (outputs) a value read from a typed message gets its proto3 default.
 */
export function compileMessage(
  fields: FieldSpec[],
  type: MessageType | undefined,
  site: Site,
  protoDefaults = false,
): Getter {
  const entries: Array<readonly [string, Getter]> = [];
  for (const field of fields) {
    const target = type ? type.fields.get(field.name) : undefined;
    if (type && !target) {
      site.scope.diagnostics.error(
        'MAESTRO_ERR_UNKNOWN_FIELD',
        field.pos,
        `unknown field "${field.name}": message ${type.fullName} has no such field${site.where}${didYouMean(field.name, type.fields.keys())}`,
      );
      continue;
    }
    const targetType = target ? fieldStaticType(target) : DYNAMIC;
    const at = { ...site, pos: field.pos };
    if (field.kind === 'value') {
      const value = compileValue(field.value, at, field.pos);
      checkAssignable(targetType, value.type, field.name, at);
      entries.push([field.name, protoDefaults ? withProtoDefault(value.get, value.type) : value.get]);
    } else if (field.kind === 'message') {
      if (targetType.kind === 'typed' && (targetType.category !== 'message' || targetType.repeated)) {
        mismatch(at, field.name, targetType, 'a message block');
        continue;
      }
      entries.push([field.name, compileMessage(field.fields, target?.message, at, protoDefaults)]);
    } else {
      const getter = compileRepeated(field, targetType, target?.message, at, protoDefaults);
      if (getter) entries.push([field.name, getter]);
    }
  }
  return objectBuilder(entries);
}

function compileRepeated(
  field: RepeatedField,
  target: StaticType,
  element: MessageType | undefined,
  site: Site,
  protoDefaults: boolean,
): Getter | undefined {
  if (target.kind === 'typed' && !target.repeated) {
    mismatch(site, field.name, target, 'a repeated block');
    return undefined;
  }
  let ref;
  try {
    ref = parseReference(field.source);
  } catch (error) {
    site.scope.diagnostics.error(
      'MAESTRO_ERR_TEMPLATE',
      field.pos,
      `invalid repeated source "${field.source}": ${(error as Error).message}${site.where}`,
    );
    return undefined;
  }
  const source = resolveReference(ref, site);
  if (!source) return undefined;
  if (source.type.kind === 'typed' && !source.type.repeated) {
    site.scope.diagnostics.error(
      'MAESTRO_ERR_TYPE',
      field.pos,
      `repeated "${field.name}": source "${field.source}" is ${describe(source.type)}, not a list${site.where}`,
    );
    return undefined;
  }
  const frame = {
    resource: ref.resource,
    part: ref.part ?? (ref.resource === 'input' ? 'request' : 'response'),
    path: ref.path,
    type: source.type,
  };
  const inner = { ...site, elements: [...site.elements, frame] };
  const build = compileMessage(field.fields, element, inner, protoDefaults);
  const read = source.get;
  return (ctx) => {
    const list = read(ctx);
    if (!Array.isArray(list)) return undefined;
    const out = new Array<unknown>(list.length);
    for (let i = 0; i < list.length; i++) {
      ctx.elements.push(list[i]);
      out[i] = build(ctx);
      ctx.elements.pop();
    }
    return out;
  };
}

/** `header { Name = "…" }` and `params { k = "…" }`: scalar values by name. */
export function compileNamed(fields: FieldSpec[], site: Site, what: string): NamedGetters {
  const out: Array<readonly [string, Getter]> = [];
  for (const field of fields) {
    if (field.kind !== 'value') {
      site.scope.diagnostics.error(
        'MAESTRO_ERR_BLOCK',
        field.pos,
        `${what} takes plain values, not a ${field.kind} block${site.where}`,
      );
      continue;
    }
    out.push([field.name, compileValue(field.value, { ...site, pos: field.pos }, field.pos).get]);
  }
  return out;
}

export function checkAssignable(target: StaticType, source: StaticType, name: string, site: Site): void {
  if (!assignable(target, source)) mismatch(site, name, target, describe(source));
}

function mismatch(site: Site, name: string, target: StaticType, got: string): void {
  site.scope.diagnostics.error(
    'MAESTRO_ERR_TYPE',
    site.pos,
    `type mismatch for field "${name}": expected ${describe(target)}, got ${got}${site.where}`,
  );
}

/** Builds an object with the given keys in order, leaving out undefined values. */
export function objectBuilder(entries: ReadonlyArray<readonly [string, Getter]>): Getter {
  const keys = entries.map((e) => e[0]);
  const getters = entries.map((e) => e[1]);
  const n = keys.length;
  return (ctx) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const value = getters[i]!(ctx);
      if (value !== undefined) out[keys[i]!] = value;
    }
    return out;
  };
}

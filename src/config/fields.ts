/**
 * Message-shaped bodies: a request, an output, an error object, params, header. Each
 * attribute is a value field, `message "name" {}` a nested message, `repeated "name"
 * "source" {}` a list built from a source; all in file order. Attributes and blocks are
 * dispatched separately, so `message = "…"` beside `message "meta" {}` keeps both.
 */
import type { ErrorObjectSpec, FieldSpec, OnErrorSpec } from '../spec/types.js';
import type { HclBlock, HclBody } from './ast.js';
import { dispatch, firstOnly, inside, labels, positioned, stringValue, type BuildContext } from './read.js';

/** Blocks a caller adds beside message/repeated (e.g. `header`, `params`, `options`). */
export type ExtraBlocks = Record<string, (block: HclBlock) => void>;

export function buildFields(body: HclBody, where: string, ctx: BuildContext, extra: ExtraBlocks = {}): FieldSpec[] {
  const fields: FieldSpec[] = [];
  dispatch(
    body,
    {
      otherAttribute: (a) => fields.push({ kind: 'value', name: a.name, value: a.value, pos: a.pos }),
      blocks: {
        ...extra,
        message: (b) => {
          const [name] = labels(b, ['name'], 1, ctx) ?? [];
          if (name === undefined) return;
          const inner = buildFields(b.body, inside(`message "${name}"`, where), ctx);
          fields.push({ kind: 'message', name, fields: inner, pos: b.pos });
        },
        repeated: (b) => {
          const [name, source] = labels(b, ['name', 'source'], 2, ctx) ?? [];
          if (name === undefined || source === undefined) return;
          const inner = buildFields(b.body, inside(`repeated "${name}"`, where), ctx);
          fields.push({ kind: 'repeated', name, source, fields: inner, pos: b.pos });
        },
      },
    },
    where,
    ctx,
  );
  return fields;
}

/** A `header { }` or `params { }` block: labels are not allowed, the body is fields. */
export function buildNamedFields(block: HclBlock, where: string, ctx: BuildContext): FieldSpec[] {
  labels(block, [], 0, ctx);
  return buildFields(block.body, inside(block.type, where), ctx);
}

/** `error "schema"? { fields }`. */
export function buildErrorObject(block: HclBlock, where: string, ctx: BuildContext): ErrorObjectSpec | undefined {
  const found = labels(block, ['schema'], 0, ctx);
  if (!found) return undefined;
  const spec: ErrorObjectSpec = { fields: buildFields(block.body, inside('error', where), ctx), pos: block.pos };
  if (found[0] !== undefined) spec.schema = found[0];
  return spec;
}

/** `on_error { schema status message params { } }`. */
export function buildOnError(block: HclBlock, where: string, ctx: BuildContext): OnErrorSpec | undefined {
  if (!labels(block, [], 0, ctx)) return undefined;
  const spec: OnErrorSpec = { params: [], pos: block.pos };
  const within = inside('on_error', where);
  let params: HclBlock | undefined;
  dispatch(
    block.body,
    {
      attributes: {
        schema: (a) => {
          const schema = stringValue(a, within, ctx);
          if (schema) spec.schema = schema;
        },
        status: (a) => (spec.status = positioned(a)),
        message: (a) => (spec.message = positioned(a)),
      },
      blocks: {
        params: (b) => {
          if (!firstOnly(params, 'params block', b.pos, within, ctx)) return;
          params = b;
          spec.params = buildNamedFields(b, within, ctx);
        },
      },
    },
    within,
    ctx,
  );
  return spec;
}

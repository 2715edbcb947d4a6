/**
 * `resource "name" { depends_on expect_status request rollback error on_error }` and the
 * call blocks within it. A rollback is written either like a request
 * (`rollback "svc" "method" { … }`) or wrapping one (`rollback { request "svc" "method" { … } }`).
 */
import type { CallSpec, ConditionSpec, Positioned, ResourceSpec } from '../spec/types.js';
import type { HclAttribute, HclBlock } from './ast.js';
import { buildErrorObject, buildFields, buildNamedFields, buildOnError } from './fields.js';
import { retryHandler } from './resilience.js';
import {
  dispatch,
  firstOnly,
  inside,
  labels,
  optionsRecord,
  stringList,
  stringValue,
  typeError,
  type BuildContext,
} from './read.js';
import { cacheRule } from './traffic.js';

/** Where a resource sits: its enclosing `if` conditions and whether it is in `before`. */
export interface ResourcePlace {
  conditions: ConditionSpec[];
  before: boolean;
}

export function buildResource(
  block: HclBlock,
  place: ResourcePlace,
  flowWhere: string,
  ctx: BuildContext,
): ResourceSpec | undefined {
  const [name] = labels(block, ['name'], 1, ctx) ?? [];
  if (name === undefined) return undefined;
  const resource: ResourceSpec = {
    name,
    kind: 'call',
    conditions: place.conditions,
    before: place.before,
    dependsOn: [],
    pos: block.pos,
  };
  const where = inside(`resource "${name}"`, flowWhere);
  // Blocks that may appear once per resource; a second one is reported, naming the first.
  const single =
    <K extends 'request' | 'rollback' | 'error' | 'onError'>(
      key: K,
      what: string,
      build: (b: HclBlock) => ResourceSpec[K],
    ) =>
    (b: HclBlock): void => {
      if (!firstOnly(resource[key], what, b.pos, where, ctx)) return;
      const value = build(b);
      if (value) resource[key] = value;
    };
  dispatch(
    block.body,
    {
      attributes: {
        depends_on: (a) => (resource.dependsOn = stringList(a, where, ctx)),
        for_each: (a) => (resource.forEach = stringValue(a, where, ctx)),
        max_concurrency: (a) => {
          if (typeof a.value === 'number' && Number.isInteger(a.value) && a.value >= 1)
            resource.maxConcurrency = { value: a.value, pos: a.valuePos };
          else typeError(a, 'a whole number of at least 1', where, ctx);
        },
        expect_status: (a) => {
          const statuses = expectStatus(a, where, ctx);
          if (statuses) resource.expectStatus = statuses;
        },
      },
      blocks: {
        request: single('request', 'request', (b) => buildCall(b, where, ctx)),
        rollback: single('rollback', 'rollback', (b) => buildRollback(b, where, ctx)),
        error: single('error', 'error block', (b) => buildErrorObject(b, where, ctx)),
        on_error: single('onError', 'on_error block', (b) => buildOnError(b, where, ctx)),
        cache: cacheRule(resource, where, ctx),
        retry: retryHandler(resource, where, ctx),
      },
    },
    where,
    ctx,
  );
  return resource;
}

/** `expect_status = 200` or `[200, 201]`. */
function expectStatus(a: HclAttribute, where: string, ctx: BuildContext): Positioned<number[]> | undefined {
  const list = Array.isArray(a.value) ? a.value : [a.value];
  if (!list.every((v): v is number => typeof v === 'number' && Number.isInteger(v))) {
    return typeError(a, 'a status code or a list of status codes', where, ctx);
  }
  return { value: list, pos: a.valuePos };
}

/** `request "service" "method" { header {} params {} options {} …fields }`. */
export function buildCall(block: HclBlock, where: string, ctx: BuildContext): CallSpec | undefined {
  const [service, method] = labels(block, ['service', 'method'], 2, ctx) ?? [];
  if (service === undefined || method === undefined) return undefined;
  const call: CallSpec = { service, method, header: [], params: [], options: {}, fields: [], pos: block.pos };
  const within = inside(`${block.type} "${service}" "${method}"`, where);
  const seen: Record<string, HclBlock> = {};
  const once = (b: HclBlock): boolean => {
    const ok = firstOnly(seen[b.type], `${b.type} block`, b.pos, within, ctx);
    seen[b.type] = b;
    return ok;
  };
  call.fields = buildFields(block.body, within, ctx, {
    header: (b) => once(b) && (call.header = buildNamedFields(b, within, ctx)),
    params: (b) => once(b) && (call.params = buildNamedFields(b, within, ctx)),
    options: (b) => once(b) && (call.options = optionsRecord(b, within, ctx, 'call_options')),
    retry: retryHandler(call, within, ctx),
  });
  return call;
}

function buildRollback(block: HclBlock, where: string, ctx: BuildContext): CallSpec | undefined {
  if (block.labels.length > 0) return buildCall(block, where, ctx);
  const within = inside('rollback', where);
  let call: CallSpec | undefined;
  let request: HclBlock | undefined;
  dispatch(
    block.body,
    {
      blocks: {
        request: (b) => {
          if (!firstOnly(request, 'request', b.pos, within, ctx)) return;
          request = b;
          call = buildCall(b, within, ctx);
        },
      },
    },
    within,
    ctx,
  );
  if (!request) {
    ctx.diagnostics.error(
      'MAESTRO_ERR_CONFIG_LABELS',
      block.pos,
      `rollback ${where} needs a service and a method: ` +
        'rollback "<service>" "<method>" { … } or rollback { request "<service>" "<method>" { … } }',
    );
  }
  return call;
}

/**
 * `flow "name" { … }` and `proxy "name" { … }`. Resources are collected in file order
 * from the flow body, `before { }`, `resources { }` and nested `if "cond" { }` blocks;
 * each keeps its place (conditions outermost first, the before flag).
 *
 *   flow ─┬─ input / output / error / on_error          (once each)
 *         ├─ before { resource… resources{} }           → before: true
 *         ├─ resources { k = v }                        → value resources
 *         ├─ resource "x" { … }                         → call resources
 *         ├─ if "c1" { resource… if "c2" { … } }        → conditions [c1, c2]
 *         └─ proxy only: forward "svc" { header{} }, rewrite "re" "tpl" {}
 */
import type { FlowSpec, ForwardSpec, InputSpec, OutputSpec, ResourceSpec } from '../spec/types.js';
import type { HclBlock } from './ast.js';
import { buildErrorObject, buildFields, buildNamedFields, buildOnError } from './fields.js';
import {
  dispatch,
  firstOnly,
  inside,
  labels,
  optionsRecord,
  stringList,
  stringValue,
  type BuildContext,
  type Rules,
} from './read.js';
import { buildResource, type ResourcePlace } from './resource.js';

export function buildFlow(block: HclBlock, ctx: BuildContext): FlowSpec | undefined {
  const kind = block.type === 'proxy' ? 'proxy' : 'flow';
  const [name] = labels(block, ['name'], 1, ctx) ?? [];
  if (name === undefined) return undefined;
  const flow: FlowSpec = { kind, name, resources: [], rewrites: [], pos: block.pos };
  const where = `in ${kind} "${name}"`;
  const names = new Map<string, ResourceSpec>();
  const add = (resource: ResourceSpec | undefined): void => {
    if (!resource) return;
    const earlier = names.get(resource.name);
    if (!firstOnly(earlier, `resource "${resource.name}"`, resource.pos, where, ctx)) return;
    names.set(resource.name, resource);
    flow.resources.push(resource);
  };
  // Blocks that may appear once per flow; a second one is reported, naming the first.
  const single =
    <K extends 'input' | 'error' | 'onError' | 'output' | 'forward'>(
      key: K,
      what: string,
      build: (b: HclBlock) => FlowSpec[K],
    ) =>
    (b: HclBlock): void => {
      if (!firstOnly(flow[key], `${what} block`, b.pos, where, ctx)) return;
      const value = build(b);
      if (value) flow[key] = value;
    };
  const top: ResourcePlace = { conditions: [], before: false };
  const blocks: Rules['blocks'] = {
    ...resourceBlocks(top, add, where, ctx, true),
    input: single('input', 'input', (b) => buildInput(b, where, ctx)),
    before: (b) => {
      labels(b, [], 0, ctx);
      const place: ResourcePlace = { conditions: [], before: true };
      dispatch(b.body, { blocks: resourceBlocks(place, add, where, ctx, false) }, inside('before', where), ctx);
    },
    error: single('error', 'error', (b) => buildErrorObject(b, where, ctx)),
    on_error: single('onError', 'on_error', (b) => buildOnError(b, where, ctx)),
  };
  if (kind === 'flow') {
    blocks.output = single('output', 'output', (b) => buildOutput(b, where, ctx));
  } else {
    blocks.forward = single('forward', 'forward', (b) => buildForward(b, where, ctx));
    blocks.rewrite = (b) => buildRewrite(b, flow, ctx);
  }
  const attributes = {
    timeout: (a: Parameters<typeof stringValue>[0]) => {
      const timeout = stringValue(a, where, ctx);
      if (timeout && firstOnly(flow.timeout, 'timeout', a.pos, where, ctx)) flow.timeout = timeout;
    },
  };
  dispatch(block.body, { attributes, blocks }, where, ctx);
  return flow;
}

/** The blocks that declare resources: `resource`, `resources`, and (outside before) `if`. */
function resourceBlocks(
  place: ResourcePlace,
  add: (resource: ResourceSpec | undefined) => void,
  where: string,
  ctx: BuildContext,
  allowIf: boolean,
): NonNullable<Rules['blocks']> {
  const blocks: NonNullable<Rules['blocks']> = {
    resource: (b) => add(buildResource(b, place, where, ctx)),
    resources: (b) => {
      labels(b, [], 0, ctx);
      const base = { kind: 'value' as const, conditions: place.conditions, before: place.before };
      dispatch(
        b.body,
        { otherAttribute: (a) => add({ ...base, name: a.name, value: a.value, dependsOn: [], pos: a.pos }) },
        inside('resources', where),
        ctx,
      );
    },
  };
  if (allowIf) {
    blocks.if = (b) => {
      const [expression] = labels(b, ['condition'], 1, ctx) ?? [];
      if (expression === undefined) return;
      const inner: ResourcePlace = {
        conditions: [...place.conditions, { expression, pos: b.labelPos[0] ?? b.pos }],
        before: place.before,
      };
      dispatch(b.body, { blocks: resourceBlocks(inner, add, where, ctx, true) }, inside('if', where), ctx);
    };
  }
  return blocks;
}

function buildInput(block: HclBlock, where: string, ctx: BuildContext): InputSpec | undefined {
  const found = labels(block, ['schema'], 0, ctx);
  if (!found) return undefined;
  const input: InputSpec = { header: [], options: {}, pos: block.pos };
  if (found[0] !== undefined) input.schema = found[0];
  const within = inside('input', where);
  dispatch(
    block.body,
    {
      attributes: {
        header: (a) => (input.header = stringList(a, within, ctx)),
        params: (a) => {
          const params = stringValue(a, within, ctx);
          if (params) input.params = params;
        },
      },
      blocks: { options: (b) => (input.options = optionsRecord(b, within, ctx, 'input_options')) },
    },
    within,
    ctx,
  );
  return input;
}

function buildOutput(block: HclBlock, where: string, ctx: BuildContext): OutputSpec | undefined {
  const found = labels(block, ['schema'], 0, ctx);
  if (!found) return undefined;
  const output: OutputSpec = { header: [], fields: [], pos: block.pos };
  if (found[0] !== undefined) output.schema = found[0];
  const within = inside('output', where);
  output.fields = buildFields(block.body, within, ctx, {
    header: (b) => (output.header = buildNamedFields(b, within, ctx)),
  });
  return output;
}

function buildForward(block: HclBlock, where: string, ctx: BuildContext): ForwardSpec | undefined {
  const [service] = labels(block, ['service'], 1, ctx) ?? [];
  if (service === undefined) return undefined;
  const within = inside('forward', where);
  const forward: ForwardSpec = { service, header: [], pos: block.pos };
  dispatch(block.body, { blocks: { header: (b) => (forward.header = buildNamedFields(b, within, ctx)) } }, within, ctx);
  return forward;
}

function buildRewrite(block: HclBlock, flow: FlowSpec, ctx: BuildContext): void {
  const [pattern, template] = labels(block, ['pattern', 'template'], 2, ctx) ?? [];
  if (pattern === undefined || template === undefined) return;
  dispatch(block.body, {}, `in rewrite "${pattern}"`, ctx);
  flow.rewrites.push({ pattern, template, pos: block.pos });
}

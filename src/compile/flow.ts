/**
 * Compiles one flow or proxy: resources become nodes of a DAG whose edges are the
 * references between them (plus depends_on, before and if), templates become getters.
 *
 *        before ──▶ every other node
 *        a ──▶ b   when b references a, depends on it, or its `if` reads it
 */
import { didYouMean, type Diagnostics } from '../errors.js';
import type { TemplateFunction } from '../functions/function.js';
import type { SchemaRegistry } from '../schema/types.js';
import type { CallSpec, FieldSpec, FlowSpec, OutputSpec, Pos, ResourceSpec, Spec } from '../spec/types.js';
import { buildCondition, parseCondition } from '../template/index.js';
import type { Condition, Expression } from '../template/ast.js';
import { compileForwardOptions, compileHttpCallOptions } from './call-options.js';
import { checkDag } from './dag.js';
import { compileForEach, listOf } from './for-each.js';
import { compileStream } from './stream.js';
import { resolveCallLimits, type UpstreamDefaults } from './limits.js';
import { compileErrorHandling } from './errors.js';
import { isHeaderName } from './http-names.js';
import type {
  CallPlan,
  ExecContext,
  FlowPlan,
  ForwardPlan,
  Getter,
  MethodPlan,
  NodePlan,
  OutputPlan,
  RetryPlan,
  RewritePlan,
  ServicePlan,
} from './plan.js';
import { flowTimeout, requestRetry, rollbackRetry } from './resilience.js';
import { upstreamTarget, type UpstreamTarget } from './upstream.js';
import { resolveReference, type FlowScope, type NodeInfo, type Resolved, type Site } from './references.js';
import type { ServiceTable } from './services.js';
import { DYNAMIC, messageStaticType } from './static-type.js';
import { compileMessage, compileNamed, compileValue } from './values.js';
import { compileNodeCache } from './traffic.js';

export interface FlowContext {
  spec: Spec;
  schemas: SchemaRegistry;
  services: ServiceTable;
  functions: Map<string, TemplateFunction>;
  diagnostics: Diagnostics;
  /** Path parameter names of the flow's HTTP endpoints. */
  endpointParams: Set<string>;
  /** `upstream { }` defaults, compiled once (issue #8); built-in defaults when absent. */
  upstream?: UpstreamDefaults;
}

export function compileFlow(flow: FlowSpec, context: FlowContext): FlowPlan {
  const { diagnostics } = context;
  const label = `${flow.kind} "${flow.name}"`;
  const inputType = flow.input?.schema ? lookupMessage(flow.input.schema, flow.input.pos, context) : undefined;
  const scope: FlowScope = {
    label,
    kind: flow.kind,
    nodes: new Map(),
    inputType,
    inputHeaders: new Set((flow.input?.header ?? []).map((h) => h.value.toLowerCase())),
    endpointParams: context.endpointParams,
    functions: context.functions,
    schemas: context.schemas,
    diagnostics,
  };
  for (const header of flow.input?.header ?? []) {
    if (!isHeaderName(header.value))
      diagnostics.error(
        'MAESTRO_ERR_HEADER_NAME',
        header.pos,
        `"${header.value}" is not a valid header name in the input of ${label}`,
      );
  }
  const infos = flow.resources.map((resource, index) => {
    const info: NodeInfo = { name: resource.name, index, response: DYNAMIC, request: DYNAMIC };
    if (scope.nodes.has(resource.name)) {
      diagnostics.error(
        'MAESTRO_ERR_DUPLICATE',
        resource.pos,
        `resource "${resource.name}" is defined twice in ${label}`,
      );
    } else {
      scope.nodes.set(resource.name, info);
    }
    const method = resource.request
      ? lookupMethod(resource.request, context, `resource "${resource.name}" of ${label}`)
      : undefined;
    if (method?.responseType) info.response = messageStaticType(method.responseType);
    if (method?.requestType) info.request = messageStaticType(method.requestType);
    // A for_each resource reads as the list of its answers (and of its requests).
    if (resource.forEach) info.response = listOf(info.response);
    if (resource.forEach) info.request = listOf(info.request);
    return info;
  });

  const compiled = flow.resources.map((resource, index) => compileNode(resource, infos[index]!, flow, scope, context));
  const nodes = compiled.map((c) => c.node);
  const beforeNodes = nodes.filter((n) => n.before).map((n) => n.index);
  for (const node of nodes) {
    if (!node.before) for (const b of beforeNodes) if (!node.deps.includes(b)) node.deps.push(b);
  }
  const ok = checkDag(nodes, flow, diagnostics);
  if (ok)
    checkRollbacks(
      flow,
      nodes,
      compiled.map((c) => c.rollbackRefs),
      diagnostics,
      label,
    );
  for (const node of nodes) for (const dep of node.deps) nodes[dep]!.dependents.push(node.index);

  const flowSite = site(scope, ` in the output of ${label}`, flow.pos, undefined);
  const output = flow.output ? compileOutput(flow.output, { ...flowSite, pos: flow.output.pos }, context) : undefined;

  return compileStream(
    {
      name: flow.name,
      kind: flow.kind,
      input: { type: inputType, headers: [...scope.inputHeaders] },
      nodes,
      roots: nodes.filter((n) => n.deps.length === 0).map((n) => n.index),
      pendingTemplate: nodes.map((n) => n.deps.length),
      output,
      errors: compileErrorHandling(undefined, flow, context.spec, site(scope, ` in ${label}`, flow.pos, undefined)),
      forward: compileForward(flow, scope, context),
      rewrites: compileRewrites(flow, diagnostics),
      pos: flow.pos,
      timeoutMs: flowTimeout(flow, context.spec, diagnostics),
      hasRollbacks: nodes.some((n) => n.rollback !== undefined),
    },
    diagnostics,
  );
}

function compileOutput(spec: OutputSpec, at: Site, context: FlowContext): OutputPlan {
  const type = spec.schema ? lookupMessage(spec.schema, spec.pos, context) : undefined;
  checkHeaderNames(spec.header, at);
  return {
    type,
    header: compileNamed(spec.header, at, 'output header'),
    body: compileMessage(spec.fields, type, at, true),
  };
}

/** Header names are HTTP tokens; a name undici or fastify would refuse is an error here. */
function checkHeaderNames(fields: readonly FieldSpec[], at: Site): void {
  for (const field of fields) {
    if (!isHeaderName(field.name)) {
      at.scope.diagnostics.error(
        'MAESTRO_ERR_HEADER_NAME',
        field.pos,
        `"${field.name}" is not a valid header name${at.where}`,
      );
    }
  }
}

/** Host + method path of an HTTP call, joined once; undefined for other transports. */
function callTarget(
  service: ServicePlan,
  method: MethodPlan,
  pos: Pos,
  diagnostics: Diagnostics,
): UpstreamTarget | undefined {
  if (!service.http) return undefined;
  const target = upstreamTarget(service.http, method.httpPath);
  if (typeof target === 'string') {
    diagnostics.error('MAESTRO_ERR_UPSTREAM_PATH', pos, `${service.fullName}.${method.name}: ${target}`);
    return undefined;
  }
  return target;
}

function site(scope: FlowScope, where: string, pos: Site['pos'], self: NodeInfo | undefined): Site {
  return { scope, where, pos, self, allowSelf: false, allowError: false, deps: new Set(), elements: [] };
}

/** A node while its flow is compiled: the edge lists still grow. */
type NodeDraft = Omit<NodePlan, 'deps' | 'dependents'> & { deps: number[]; dependents: number[] };

interface CompiledNode {
  node: NodeDraft;
  /** Resources the rollback reads: checked once the DAG is known, they are not edges. */
  rollbackRefs: Set<number>;
}

function compileNode(
  resource: ResourceSpec,
  info: NodeInfo,
  flow: FlowSpec,
  scope: FlowScope,
  context: FlowContext,
): CompiledNode {
  const where = ` in resource "${resource.name}" of ${scope.label}`;
  const main = site(scope, where, resource.pos, info);
  const condition = compileConditions(resource, main);
  let value: Getter | undefined;
  if (resource.kind === 'value') {
    const compiled: Resolved = compileValue(resource.value ?? null, main, resource.pos);
    value = compiled.get;
    info.response = compiled.type;
  }
  const forEach = compileForEach(resource, main);
  const itemSite = (at: Site): Site => (forEach ? { ...at, elements: [forEach.frame] } : at);
  const call = resource.request ? compileCall(resource.request, itemSite(main), context) : undefined;
  // Before the edges are read: a cache key that reads a resource depends on it.
  const cache = compileNodeCache(
    resource,
    main,
    context.spec,
    resource.request && context.services.services.get(resource.request.service),
  );
  for (const dep of resource.dependsOn) {
    const target = scope.nodes.get(dep.value);
    if (!target) {
      context.diagnostics.error(
        'MAESTRO_ERR_REFERENCE',
        dep.pos,
        `depends_on names unknown resource "${dep.value}"${where}${didYouMean(dep.value, scope.nodes.keys())}`,
      );
    } else if (target.index !== info.index) {
      main.deps.add(target.index);
    }
  }
  const rollbackSite: Site = {
    ...site(
      scope,
      ` in the rollback of resource "${resource.name}" of ${scope.label}`,
      resource.rollback?.pos ?? resource.pos,
      info,
    ),
    allowSelf: true,
  };
  const rollback = resource.rollback ? compileCall(resource.rollback, itemSite(rollbackSite), context) : undefined;
  // Before compile freezes the plan (compile/freeze.ts).
  if (call)
    (call as { retry?: RetryPlan }).retry = requestRetry(
      call,
      resource.request?.retry ?? resource.retry,
      context.diagnostics,
    );
  if (rollback)
    (rollback as { retry?: RetryPlan }).retry = rollbackRetry(rollback, resource.rollback?.retry, context.diagnostics);
  const errorSite: Site = { ...site(scope, where, resource.pos, info), allowSelf: true, allowError: true };
  const node: NodeDraft = {
    index: info.index,
    name: resource.name,
    kind: resource.kind,
    before: resource.before,
    deps: [...main.deps].sort((a, b) => a - b),
    dependents: [],
    condition,
    value,
    call,
    rollback,
    expectStatus: resource.expectStatus ? new Set(resource.expectStatus.value) : undefined,
    errors: compileErrorHandling(resource, flow, context.spec, errorSite),
    cache,
    ...(forEach ? { forEach: forEach.plan } : {}),
    pos: resource.pos,
  };
  return { node, rollbackRefs: rollbackSite.deps };
}

function compileConditions(resource: ResourceSpec, main: Site): ((ctx: ExecContext) => boolean) | undefined {
  const checks: Array<(ctx: ExecContext) => boolean> = [];
  for (const condition of resource.conditions) {
    let ast: Condition;
    try {
      ast = parseCondition(condition.expression);
    } catch (error) {
      main.scope.diagnostics.error(
        'MAESTRO_ERR_CONDITION',
        condition.pos,
        `invalid condition "${condition.expression}": ${(error as Error).message}`,
      );
      continue;
    }
    const at = { ...main, pos: condition.pos };
    const resolved = new Map<Expression, Getter>();
    let ok = true;
    visit(ast, (e) => {
      if (e.kind !== 'reference') return;
      const r = resolveReference(e, at);
      if (r) resolved.set(e, r.get);
      else ok = false;
    });
    if (!ok) continue;
    checks.push(
      buildCondition(
        ast,
        (ref) => resolved.get(ref)!,
        (call) => {
          const fn = main.scope.functions.get(call.name);
          if (!fn) throw new Error(`unknown function ${call.name}`);
          return fn;
        },
      ),
    );
  }
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (ctx) => checks.every((c) => c(ctx));
}

function visit(c: Condition, fn: (e: Expression) => void): void {
  if (c.kind === 'value') visitExpression(c.expression, fn);
  else if (c.kind === 'unary') visit(c.operand, fn);
  else {
    visit(c.left, fn);
    visit(c.right, fn);
  }
}

function visitExpression(e: Expression, fn: (e: Expression) => void): void {
  fn(e);
  if (e.kind === 'call') e.args.forEach((a) => visitExpression(a, fn));
}

function lookupMethod(call: CallSpec, context: FlowContext, where: string) {
  const service = context.services.services.get(call.service);
  if (!service) {
    context.diagnostics.error(
      'MAESTRO_ERR_UNKNOWN_SERVICE',
      call.pos,
      `unknown service "${call.service}" in ${where}${didYouMean(call.service, context.services.services.keys())}`,
    );
    return undefined;
  }
  const method = service.methods.get(call.method);
  if (!method) {
    context.diagnostics.error(
      'MAESTRO_ERR_UNKNOWN_METHOD',
      call.pos,
      `service "${call.service}" has no method "${call.method}" (${where})${didYouMean(call.method, service.methods.keys())}`,
    );
  }
  return method;
}

function compileCall(call: CallSpec, at: Site, context: FlowContext): CallPlan | undefined {
  const callSite = { ...at, pos: call.pos };
  const service = context.services.services.get(call.service);
  const method = service?.methods.get(call.method);
  if (!service || !method) {
    if (at.allowSelf) lookupMethod(call, context, at.where.replace(/^ in /, ''));
    return undefined;
  }
  if (context.services.missingHost.has(service.fullName)) {
    context.diagnostics.error(
      'MAESTRO_ERR_NO_HOST',
      call.pos,
      `service "${service.fullName}" has no host${at.where}; set it in a service block, a services { select } block or the proto option`,
    );
  }
  const { timeoutMs, maxResponseBytes } = resolveCallLimits(
    call,
    method,
    service,
    context.upstream,
    context.diagnostics,
  );
  checkHeaderNames(call.header, callSite);
  return {
    service,
    method,
    body: compileMessage(call.fields, method.requestType, callSite),
    header: compileNamed(call.header, callSite, 'header'),
    params: compileNamed(call.params, callSite, 'params'),
    timeoutMs,
    maxResponseBytes,
    http: callTarget(service, method, call.pos, context.diagnostics),
    httpOptions:
      service.transport === 'http' ? compileHttpCallOptions(context.spec, call, context.diagnostics) : undefined,
    pos: call.pos,
  };
}

function lookupMessage(name: string, pos: Site['pos'], context: FlowContext) {
  const message = context.schemas.messages.get(name);
  if (!message) {
    context.diagnostics.error(
      'MAESTRO_ERR_UNKNOWN_MESSAGE',
      pos,
      `unknown message "${name}"${didYouMean(name, context.schemas.messages.keys())}`,
    );
  }
  return message;
}

/** A rollback may read only resources that certainly ran before its own resource. */
function checkRollbacks(
  flow: FlowSpec,
  nodes: NodePlan[],
  rollbackRefs: Set<number>[],
  diagnostics: Diagnostics,
  label: string,
): void {
  const ancestors = nodes.map(() => new Set<number>());
  const done = new Set<number>();
  const collect = (i: number): Set<number> => {
    if (done.has(i)) return ancestors[i]!;
    done.add(i);
    for (const d of nodes[i]!.deps) {
      ancestors[i]!.add(d);
      for (const a of collect(d)) ancestors[i]!.add(a);
    }
    return ancestors[i]!;
  };
  for (const node of nodes) {
    const refs = rollbackRefs[node.index];
    if (!node.rollback || !refs) continue;
    const own = flow.resources[node.index]!.conditions;
    for (const ref of refs) {
      const other = flow.resources[ref]!;
      const conditional = other.conditions.some((c) => !own.includes(c));
      if (!collect(node.index).has(ref) || conditional) {
        diagnostics.error(
          'MAESTRO_ERR_ROLLBACK_REFERENCE',
          node.rollback.pos,
          `the rollback of resource "${node.name}" in ${label} references "${other.name}", which may not have run when this rollback runs`,
        );
      }
    }
  }
}

function compileForward(flow: FlowSpec, scope: FlowScope, context: FlowContext): ForwardPlan | undefined {
  if (flow.kind !== 'proxy') return undefined;
  if (!flow.forward) {
    context.diagnostics.error('MAESTRO_ERR_FORWARD', flow.pos, `proxy "${flow.name}" has no forward block`);
    return undefined;
  }
  const service = context.services.services.get(flow.forward.service);
  if (!service) {
    context.diagnostics.error(
      'MAESTRO_ERR_UNKNOWN_SERVICE',
      flow.forward.pos,
      `unknown service "${flow.forward.service}" in the forward of proxy "${flow.name}"${didYouMean(flow.forward.service, context.services.services.keys())}`,
    );
    return undefined;
  }
  if (context.services.missingHost.has(service.fullName)) {
    context.diagnostics.error(
      'MAESTRO_ERR_NO_HOST',
      flow.forward.pos,
      `service "${service.fullName}" has no host (forward of proxy "${flow.name}")`,
    );
  }
  const at = site(scope, ` in the forward of proxy "${flow.name}"`, flow.forward.pos, undefined);
  checkHeaderNames(flow.forward.header, at);
  const header = compileNamed(flow.forward.header, at, 'forward header');
  // A gRPC target is relayed by gRPC endpoints only (checked with the endpoints, compile/stream.ts).
  if (service.transport === 'grpc') return { service, header, target: undefined };
  const httpOptions = compileForwardOptions(context.spec, service.fullName, flow.name, context.diagnostics);
  if (!service.http) {
    if (service.transport !== 'http') {
      context.diagnostics.error(
        'MAESTRO_ERR_FORWARD',
        flow.forward.pos,
        `proxy "${flow.name}" forwards to "${service.fullName}", whose transport is ${service.transport}; a proxy forwards HTTP or gRPC`,
      );
    }
    return undefined;
  }
  return { service, header, target: service.http, httpOptions };
}

/**
 * Go-style `(?P<name>…)` groups and `<name>` replacements. As in Semaphore, the pattern is
 * searched in the path (not anchored) and a match makes the whole new path the template.
 */
function compileRewrites(flow: FlowSpec, diagnostics: Diagnostics): RewritePlan[] {
  const out: RewritePlan[] = [];
  for (const rule of flow.rewrites) {
    const source = rule.pattern.replace(/\(\?P</g, '(?<');
    try {
      out.push({
        pattern: new RegExp(source),
        replacement: rule.template.replace(/<([A-Za-z_][A-Za-z0-9_]*)>/g, '$<$1>'),
        expand: compileExpansion(rule.template),
      });
    } catch (error) {
      diagnostics.error(
        'MAESTRO_ERR_REWRITE',
        rule.pos,
        `invalid rewrite pattern "${rule.pattern}": ${(error as Error).message}`,
      );
    }
  }
  return out;
}

/** `/<b>/<a>` → a function joining literal pieces and named groups of a match, built once. */
function compileExpansion(template: string): (match: RegExpExecArray) => string {
  const pieces: Array<string | { group: string }> = [];
  let last = 0;
  for (const m of template.matchAll(/<([A-Za-z_][A-Za-z0-9_]*)>/g)) {
    pieces.push(template.slice(last, m.index), { group: m[1]! });
    last = m.index + m[0].length;
  }
  pieces.push(template.slice(last));
  return (match) => {
    let out = '';
    for (const piece of pieces) out += typeof piece === 'string' ? piece : (match.groups?.[piece.group] ?? '');
    return out;
  };
}

/**
 * Compiles the traffic-control blocks (issue 14): rate limits of endpoints and services,
 * concurrency caps, response caches and the stores they use. Every value is checked here,
 * with its position, so `validate` refuses what the daemon would; key templates become
 * getters once, like every other template.
 *
 *   endpoint rate_limit ──▶ EndpointPlan.rateLimit   (key over the request: input only)
 *   service  rate_limit, max_in_flight, max_wait ──▶ ServicePlan.limits
 *   resource / method cache ──▶ NodePlan.cache        (key over the flow, like a request)
 *   rate_limit_store, cache ──▶ Plan.traffic
 */
import type { Diagnostics } from '../errors.js';
import type { TemplateFunction } from '../functions/function.js';
import type { SchemaRegistry } from '../schema/types.js';
import type {
  CacheSpec,
  EndpointSpec,
  HclValue,
  Pos,
  Positioned,
  RateLimitSpec,
  ResourceSpec,
  Spec,
} from '../spec/types.js';
import { parseDuration, parseSize } from './duration.js';
import { jsonText } from '../template/index.js';
import type {
  CachePlan,
  EndpointPlan,
  FlowPlan,
  Getter,
  KeyGetter,
  RateLimitPlan,
  ServiceLimitPlan,
  ServicePlan,
  TrafficPlan,
} from './plan.js';
import type { FlowScope, Site } from './references.js';
import { compileValue } from './values.js';

const DEFAULT_MAX_WAIT_MS = 1000;
const DEFAULT_CACHE_ENTRIES = 10_000;
const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;
const WRITES = new Set(['PUT', 'PATCH', 'DELETE']);

/**
 * The header names a key reads are not declared in the flow's input: this set accepts
 * every name and remembers it, so the limiter copies exactly those headers per request.
 */
class RecordingHeaders extends Set<string> {
  override has(name: string): boolean {
    this.add(name);
    return true;
  }
}

export interface TrafficContext {
  functions: Map<string, TemplateFunction>;
  schemas: SchemaRegistry;
  diagnostics: Diagnostics;
}

/**
 * A key's value as text: buckets and cache entries are named by it. Absent values are ''
 * (one bucket for every request without the value); objects are their exact JSON.
 */
function asText(get: Getter): KeyGetter {
  return (ctx) => {
    const value = get(ctx);
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    return typeof value === 'object' ? jsonText(value) : String(value);
  };
}

/** A positive whole number, or undefined after reporting. */
function positiveInt(
  v: Positioned<HclValue> | undefined,
  what: string,
  diagnostics: Diagnostics,
  code: string,
): number | undefined {
  if (!v) return undefined;
  if (typeof v.value === 'number' && Number.isInteger(v.value) && v.value > 0) return v.value;
  diagnostics.error(code, v.pos, `${what} must be a whole number above 0, got ${JSON.stringify(String(v.value))}`);
  return undefined;
}

/** A duration above zero, or undefined after reporting. */
function duration(
  v: Positioned<HclValue> | undefined,
  what: string,
  diagnostics: Diagnostics,
  code: string,
): number | undefined {
  if (!v) return undefined;
  const ms = parseDuration(v.value);
  if (ms !== undefined && ms > 0) return ms;
  diagnostics.error(
    code,
    v.pos,
    `${what} must be a duration above zero such as "1s" or "1m", got ${JSON.stringify(String(v.value))}`,
  );
  return undefined;
}

/** Checks a rate_limit block; `key` compiles over `keyScope`, or is refused when there is none. */
function compileRateLimit(
  spec: RateLimitSpec,
  id: string,
  where: string,
  keyScope: FlowScope | undefined,
  diagnostics: Diagnostics,
): RateLimitPlan | undefined {
  const code = 'MAESTRO_ERR_RATE_LIMIT';
  if (!spec.requests)
    diagnostics.error(
      code,
      spec.pos,
      `rate_limit ${where} needs requests = <number> (and every = "<duration>", default "1s")`,
    );
  const requests = positiveInt(spec.requests, `rate_limit requests ${where}`, diagnostics, code);
  const everyMs = spec.every ? duration(spec.every, `rate_limit every ${where}`, diagnostics, code) : 1000;
  const burst = spec.burst ? positiveInt(spec.burst, `rate_limit burst ${where}`, diagnostics, code) : requests;
  let key: KeyGetter | undefined;
  let keyHeaders: string[] = [];
  let keyClass = 'global';
  if (spec.key) {
    if (!keyScope) {
      diagnostics.error(code, spec.key.pos, `rate_limit ${where} takes no key: it counts every call together`);
    } else if (typeof spec.key.value !== 'string' || spec.key.value === '') {
      diagnostics.error(
        code,
        spec.key.pos,
        `rate_limit key ${where} must be a template such as "{{ input.header:X-Api-Key }}"`,
      );
    } else {
      const headers = new RecordingHeaders();
      const scope: FlowScope = { ...keyScope, inputHeaders: headers };
      const site: Site = {
        scope,
        where: ` in the rate_limit key ${where}`,
        pos: spec.key.pos,
        self: undefined,
        allowSelf: false,
        allowError: false,
        deps: new Set(),
        elements: [],
      };
      key = asText(compileValue(spec.key.value, site, spec.key.pos).get);
      keyHeaders = [...headers];
      keyClass = spec.key.value;
    }
  }
  if (requests === undefined || everyMs === undefined || burst === undefined) return undefined;
  return { requests, everyMs, burst, key, keyHeaders, keyClass, id, pos: spec.pos };
}

/** What identifies an endpoint across instances of the same config: its protocol and route. */
function endpointId(e: EndpointPlan): string {
  if (e.protocol === 'http') return `http:${e.method} ${e.path}`;
  if (e.protocol === 'grpc') return `grpc:${e.package}.${e.service}/${e.method}`;
  return `graphql:${e.base}.${e.path.join('.')}`;
}

/** Attaches each endpoint's `rate_limit`; the plan and its spec are matched by protocol, flow and position. */
export function compileEndpointLimits(specs: EndpointSpec[], endpoints: EndpointPlan[], context: TrafficContext): void {
  const at = (protocol: string, flow: string, pos: Pos) =>
    `${protocol}\0${flow}\0${pos.file}\0${pos.line}\0${pos.column}`;
  const limited = new Map<string, EndpointSpec>();
  for (const e of specs) if (e.rateLimit) limited.set(at(e.protocol, e.flow, e.pos), e);
  if (limited.size === 0) return;
  for (const endpoint of endpoints) {
    const spec = limited.get(at(endpoint.protocol, endpoint.flow.name, endpoint.pos));
    if (!spec?.rateLimit) continue;
    const where = `of endpoint "${spec.flow}" "${spec.protocol}"`;
    const scope = keyScope(endpoint, context);
    const plan = compileRateLimit(
      spec.rateLimit,
      `endpoint:${endpointId(endpoint)}`,
      where,
      scope,
      context.diagnostics,
    );
    // Before compile freezes the plan (compile/freeze.ts).
    if (plan) (endpoint as { rateLimit?: RateLimitPlan }).rateLimit = plan;
  }
}

/** A key sees the request only: input (body, params, headers, remote address) and functions. */
function keyScope(endpoint: EndpointPlan, context: TrafficContext): FlowScope {
  const flow: FlowPlan = endpoint.flow;
  const params = new Set<string>();
  if (endpoint.protocol === 'http')
    for (const m of endpoint.path.matchAll(/[:*]([A-Za-z_][A-Za-z0-9_]*)/g)) params.add(m[1]!);
  return {
    label: `${flow.kind} "${flow.name}"`,
    kind: flow.kind,
    nodes: new Map(),
    inputType: flow.input.type,
    inputHeaders: new Set(),
    endpointParams: params,
    functions: context.functions,
    schemas: context.schemas,
    diagnostics: context.diagnostics,
  };
}

/** `rate_limit`, `max_in_flight`, `max_wait` of service blocks, onto the compiled services. */
export function compileServiceLimits(spec: Spec, services: Map<string, ServicePlan>, diagnostics: Diagnostics): void {
  const code = 'MAESTRO_ERR_SERVICE_LIMIT';
  for (const block of spec.services) {
    if (!block.rateLimit && !block.maxInFlight && !block.maxWait) continue;
    const where = `of service "${block.fullName}"`;
    const rateLimit = block.rateLimit
      ? compileRateLimit(block.rateLimit, `service:${block.fullName}`, where, undefined, diagnostics)
      : undefined;
    const maxInFlight = positiveInt(block.maxInFlight, `max_in_flight ${where}`, diagnostics, code);
    const maxWaitMs = block.maxWait
      ? duration(block.maxWait, `max_wait ${where}`, diagnostics, code)
      : DEFAULT_MAX_WAIT_MS;
    if (block.maxWait && !block.rateLimit && !block.maxInFlight) {
      diagnostics.warn(
        'MAESTRO_WARN_SERVICE_LIMIT',
        block.maxWait.pos,
        `max_wait ${where} has no effect without rate_limit or max_in_flight`,
      );
    }
    const service = services.get(block.fullName);
    if (service && maxWaitMs !== undefined) {
      const previous = service.limits;
      (service as { limits?: ServiceLimitPlan }).limits = {
        rateLimit: rateLimit ?? previous?.rateLimit,
        maxInFlight: maxInFlight ?? previous?.maxInFlight,
        maxWaitMs: block.maxWait ? maxWaitMs : (previous?.maxWaitMs ?? maxWaitMs),
      };
    }
  }
}

/**
 * The cache of a call resource: its own `cache`, else its method's. Compiled at the
 * resource's site, so a key that reads another resource orders the DAG like a request does.
 */
export function compileNodeCache(
  resource: ResourceSpec,
  at: Site,
  spec: Spec,
  service: ServicePlan | undefined,
): CachePlan | undefined {
  const own = resource.cache;
  const inherited = own ? undefined : methodCache(spec, resource);
  const cache = own ?? inherited;
  if (!cache) return undefined;
  const diagnostics = at.scope.diagnostics;
  const code = 'MAESTRO_ERR_CACHE';
  const where = `in resource "${resource.name}" of ${at.scope.label}`;
  if (own && !resource.request) {
    diagnostics.error(code, own.pos, `cache ${where}: only a resource with a request can be cached`);
    return undefined;
  }
  if (resource.rollback) {
    diagnostics.error(code, cache.pos, `cache ${where}: a call with a rollback is a write, and only reads are cached`);
    return undefined;
  }
  const method = service?.methods.get(resource.request!.method);
  const verb = method?.httpMethod?.toUpperCase();
  if (service?.transport === 'http' && verb && WRITES.has(verb)) {
    diagnostics.error(code, cache.pos, `cache ${where}: ${verb} is a write, and only reads are cached`);
    return undefined;
  }
  if (!cache.ttl) diagnostics.error(code, cache.pos, `cache ${where} needs ttl = "<duration>", e.g. "30s"`);
  const ttlMs = duration(cache.ttl, `cache ttl ${where}`, diagnostics, code);
  let key: KeyGetter | undefined;
  if (cache.key) {
    if (typeof cache.key.value !== 'string' || cache.key.value === '') {
      diagnostics.error(code, cache.key.pos, `cache key ${where} must be a template such as "{{ input:id }}"`);
    } else {
      key = asText(compileValue(cache.key.value, { ...at, pos: cache.key.pos }, cache.key.pos).get);
    }
  }
  return ttlMs === undefined ? undefined : { ttlMs, key, pos: cache.pos };
}

function methodCache(spec: Spec, resource: ResourceSpec): CacheSpec | undefined {
  const request = resource.request;
  if (!request) return undefined;
  for (const service of spec.services) {
    if (service.fullName !== request.service) continue;
    const method = service.methods.find((m) => m.name === request.method && m.cache);
    if (method?.cache) return method.cache;
  }
  return undefined;
}

/** `rate_limit_store` and the top-level `cache` bounds. */
export function compileTrafficStores(spec: Spec, diagnostics: Diagnostics): TrafficPlan {
  const store = spec.rateLimitStore;
  let redis: string | undefined;
  if (store) {
    const url = store.redis;
    if (!url)
      diagnostics.error('MAESTRO_ERR_TRAFFIC_STORE', store.pos, 'rate_limit_store needs redis = "redis://host:6379"');
    else if (typeof url.value !== 'string' || !/^rediss?:\/\/[^/]/.test(url.value)) {
      // The value is never echoed: a Redis URL may carry a password.
      diagnostics.error(
        'MAESTRO_ERR_TRAFFIC_STORE',
        url.pos,
        'rate_limit_store redis must be a URL such as "redis://127.0.0.1:6379"',
      );
    } else redis = url.value;
  }
  const prefix = store?.prefix;
  if (prefix && typeof prefix.value !== 'string')
    diagnostics.error('MAESTRO_ERR_TRAFFIC_STORE', prefix.pos, 'rate_limit_store prefix must be a string');
  const bounds = spec.cacheStore;
  const entries = positiveInt(bounds?.maxEntries, 'cache max_entries', diagnostics, 'MAESTRO_ERR_CACHE');
  let bytes: number | undefined;
  if (bounds?.maxBytes) {
    bytes = parseSize(bounds.maxBytes.value);
    if (bytes === undefined || bytes <= 0)
      diagnostics.error(
        'MAESTRO_ERR_CACHE',
        bounds.maxBytes.pos,
        `cache max_bytes must be a size such as "64MB", got ${JSON.stringify(String(bounds.maxBytes.value))}`,
      );
  }
  return {
    redis,
    prefix: typeof prefix?.value === 'string' ? prefix.value : 'maestro:',
    cacheMaxEntries: entries ?? DEFAULT_CACHE_ENTRIES,
    cacheMaxBytes: bytes ?? DEFAULT_CACHE_BYTES,
  };
}

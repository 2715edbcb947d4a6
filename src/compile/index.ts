/**
 * Spec + schemas → Plan. Every problem is collected into `diagnostics`; a plan with
 * errors must not be served.
 */
import { codecs } from '../codec/index.js';
import { didYouMean, Diagnostics } from '../errors.js';
import type { TemplateFunction } from '../functions/function.js';
import type { SchemaRegistry } from '../schema/types.js';
import type {
  EndpointSpec,
  FlowSpec,
  GrpcListenerSpec,
  HclValue,
  ListenerSpec,
  Pos,
  Positioned,
  Spec,
} from '../spec/types.js';
import { parseListenAddress, type ListenAddress } from './address.js';
import { parseDuration, parseSize } from './duration.js';
import { freezePlan } from './freeze.js';
import { LISTENER_METHODS } from './http-names.js';
import { parseRoute, routeShape, type Route } from './route.js';
import { loadTls } from './tls.js';
import { compileFlow } from './flow.js';
import { compileListenerLimits, compileUpstreamDefaults, positiveDuration, positiveSize } from './limits.js';
import type { EndpointPlan, FlowPlan, GrpcListenerPlan, HttpListenerPlan, Plan } from './plan.js';
import { compileServices, namedCodec } from './services.js';
import { compileEndpointLimits, compileServiceLimits, compileTrafficStores } from './traffic.js';
import { checkStreamEndpoints } from './stream.js';
import { applyServiceResilience, compileJournal, globalFlowTimeout } from './resilience.js';

export type * from './plan.js';

export interface CompileOptions {
  functions: Map<string, TemplateFunction>;
  diagnostics?: Diagnostics;
}

export function compile(
  spec: Spec,
  schemas: SchemaRegistry,
  options: CompileOptions,
): { plan: Plan; diagnostics: Diagnostics } {
  const diagnostics = options.diagnostics ?? new Diagnostics();
  const services = compileServices(spec, schemas, diagnostics);
  applyServiceResilience(spec, services.services, diagnostics);
  globalFlowTimeout(spec, diagnostics);

  const specs = new Map<string, FlowSpec>();
  for (const flow of spec.flows) {
    const earlier = specs.get(flow.name);
    if (earlier) {
      diagnostics.error(
        'MAESTRO_ERR_DUPLICATE',
        flow.pos,
        `${flow.kind} "${flow.name}" is already defined at ${earlier.pos.file}:${earlier.pos.line}`,
      );
      continue;
    }
    specs.set(flow.name, flow);
  }

  const upstream = compileUpstreamDefaults(spec.upstream, diagnostics);
  const flows = new Map<string, FlowPlan>();
  const routes = parseRoutes(spec.endpoints, diagnostics);
  for (const flow of specs.values()) {
    const endpointParams = new Set<string>();
    for (const e of spec.endpoints) {
      if (e.flow !== flow.name || e.protocol !== 'http') continue;
      for (const name of routes.get(e)?.params ?? []) endpointParams.add(name);
    }
    flows.set(
      flow.name,
      compileFlow(flow, {
        spec,
        schemas,
        services,
        functions: options.functions,
        diagnostics,
        endpointParams,
        upstream,
      }),
    );
  }

  const endpoints = compileEndpoints(spec.endpoints, flows, routes, diagnostics);
  compileEndpointLimits(spec.endpoints, endpoints, { functions: options.functions, schemas, diagnostics });
  compileServiceLimits(spec, services.services, diagnostics);
  checkStreamEndpoints(endpoints, schemas, diagnostics);
  const address = (listener: ListenerSpec | undefined): { address: ListenAddress } | undefined => {
    // An empty address (`address = "$UNSET"`) leaves the listener on its default.
    const parsed = listener && listener.address.value !== '' ? listenAddress(listener.address, diagnostics) : undefined;
    return parsed ? { address: parsed } : undefined;
  };
  const plan: Plan = {
    flows: [...flows.values()],
    endpoints,
    services: services.services,
    listeners: {
      http: spec.http ? httpListener(spec, diagnostics) : undefined,
      grpc: spec.grpc ? grpcListener(spec.grpc, diagnostics) : undefined,
      graphql: address(spec.graphql),
      prometheus: address(spec.prometheus),
      admin: address(spec.admin),
    },
    logLevel: spec.logLevel?.value,
    logRedact: (spec.log?.redact ?? []).map((h) => h.value.toLowerCase()),
    telemetry: spec.telemetry ? { otlp: spec.telemetry.otlp?.value } : undefined,
    schemas,
    functions: options.functions,
    warnings: diagnostics.warnings,
    traffic: compileTrafficStores(spec, diagnostics),
    journal: compileJournal(spec.journal, diagnostics),
  };
  checkListenerClash(spec, diagnostics);
  return { plan: freezePlan(plan), diagnostics };
}

/** A listen address from the files (or a flag, for the daemon); an error names where it was written. */
export function listenAddress(address: Positioned<string>, diagnostics: Diagnostics): ListenAddress | undefined {
  const parsed = parseListenAddress(address.value);
  if (typeof parsed !== 'string') return parsed;
  diagnostics.error('MAESTRO_ERR_ADDRESS', address.pos, parsed);
  return undefined;
}

/**
 * Two listeners of the files on one port (and overlapping hosts) would stop the daemon
 * at start with EADDRINUSE: reported here, at the second one, naming the first.
 */
function checkListenerClash(spec: Spec, diagnostics: Diagnostics): void {
  const seen: Array<{ name: string; address: ListenAddress; pos: Pos }> = [];
  const wildcard = (host: string): boolean => host === '0.0.0.0' || host === '::' || host === '';
  for (const name of ['http', 'grpc', 'graphql', 'prometheus', 'admin'] as const) {
    const written = spec[name]?.address;
    if (!written || written.value === '') continue;
    const address = parseListenAddress(written.value);
    if (typeof address === 'string' || address.port === 0) continue;
    const earlier = seen.find(
      (s) =>
        s.address.port === address.port &&
        (s.address.host === address.host || wildcard(s.address.host) || wildcard(address.host)),
    );
    if (earlier) {
      diagnostics.error(
        'MAESTRO_ERR_ADDRESS',
        written.pos,
        `${name} listens on "${written.value}", which the ${earlier.name} listener already uses (${earlier.pos.file}:${earlier.pos.line})`,
      );
    } else {
      seen.push({ name, address, pos: written.pos });
    }
  }
}

/** Every HTTP endpoint path, parsed once; a malformed one is reported and left out. */
function parseRoutes(endpoints: readonly EndpointSpec[], diagnostics: Diagnostics): Map<EndpointSpec, Route> {
  const routes = new Map<EndpointSpec, Route>();
  for (const e of endpoints) {
    if (e.protocol !== 'http') continue;
    const path = String(option(e, 'endpoint') ?? '');
    if (!path.startsWith('/')) continue; // reported with the endpoint
    const route = parseRoute(path, { wildcard: true });
    if (typeof route === 'string') diagnostics.error('MAESTRO_ERR_ENDPOINT', e.options.endpoint?.pos ?? e.pos, route);
    else routes.set(e, route);
  }
  return routes;
}

function option(e: EndpointSpec, name: string): HclValue | undefined {
  return e.options[name]?.value;
}

function positionedString(e: EndpointSpec, name: string): Positioned<string> | undefined {
  const found = e.options[name];
  return found === undefined ? undefined : { value: String(found.value), pos: found.pos };
}

function compileEndpoints(
  specs: EndpointSpec[],
  flows: Map<string, FlowPlan>,
  parsed: Map<EndpointSpec, Route>,
  diagnostics: Diagnostics,
): EndpointPlan[] {
  const out: EndpointPlan[] = [];
  const routes = new Map<string, EndpointSpec>();
  const graphqlPaths = new Map<string, EndpointSpec>();
  for (const e of specs) {
    const flow = flows.get(e.flow);
    if (!flow) {
      diagnostics.error(
        'MAESTRO_ERR_UNKNOWN_FLOW',
        e.pos,
        `endpoint "${e.flow}" "${e.protocol}" names no flow or proxy${didYouMean(e.flow, flows.keys())}`,
      );
      continue;
    }
    if (e.protocol === 'http') {
      const path = String(option(e, 'endpoint') ?? '');
      if (!path.startsWith('/')) {
        diagnostics.error(
          'MAESTRO_ERR_ENDPOINT',
          e.pos,
          `http endpoint of "${e.flow}" needs endpoint = "/path" (got "${path}")`,
        );
        continue;
      }
      const route = parsed.get(e);
      if (!route) continue;
      const method = String(option(e, 'method') ?? 'GET').toUpperCase();
      if (method !== '*' && !LISTENER_METHODS.has(method)) {
        diagnostics.error(
          'MAESTRO_ERR_ENDPOINT',
          e.options.method?.pos ?? e.pos,
          `http endpoint of "${e.flow}": "${method}" is not an HTTP method the listener can serve${didYouMean(method, LISTENER_METHODS)}`,
        );
        continue;
      }
      const key = `${method} ${routeShape(route)}`;
      const earlier = routes.get(key);
      if (earlier) {
        diagnostics.error(
          'MAESTRO_ERR_ENDPOINT',
          e.pos,
          `http endpoint ${method} ${path} of "${e.flow}" is already served for "${earlier.flow}" (${earlier.pos.file}:${earlier.pos.line})`,
        );
        continue;
      }
      routes.set(key, e);
      const codecName = String(option(e, 'codec') ?? 'json');
      const codec = codecs.get(codecName);
      if (!codec)
        diagnostics.error(
          'MAESTRO_ERR_CODEC_UNKNOWN',
          e.options.codec?.pos ?? e.pos,
          `unknown codec "${codecName}"${didYouMean(codecName, codecs.keys())}`,
        );
      const status = Number(option(e, 'status') ?? 200);
      if (!Number.isInteger(status) || status < 100 || status > 599) {
        diagnostics.error(
          'MAESTRO_ERR_ENDPOINT',
          e.options.status?.pos ?? e.pos,
          `invalid status "${String(option(e, 'status'))}"`,
        );
      }
      for (const name of ['read_timeout', 'write_timeout']) {
        const option = e.options[name];
        if (option)
          diagnostics.warn(
            'MAESTRO_WARN_IGNORED',
            option.pos,
            `${name} on an endpoint is not applied; set it on the http block, where it bounds every request`,
          );
      }
      const requestCodec = namedCodec(
        positionedString(e, 'request_codec'),
        'request_codec',
        `endpoint "${e.flow}"`,
        diagnostics,
      );
      const responseCodec = namedCodec(
        positionedString(e, 'response_codec'),
        'response_codec',
        `endpoint "${e.flow}"`,
        diagnostics,
      );
      out.push({
        protocol: 'http',
        flow,
        path,
        route,
        method,
        codec: codec ?? codecs.get('json')!,
        requestCodec,
        responseCodec,
        status,
        pos: e.pos,
      });
    } else if (e.protocol === 'graphql') {
      const path = String(option(e, 'path') ?? e.flow);
      const base = String(option(e, 'base') ?? 'query').toLowerCase();
      if (base !== 'query' && base !== 'mutation') {
        diagnostics.error(
          'MAESTRO_ERR_ENDPOINT',
          e.options.base?.pos ?? e.pos,
          `graphql base must be "query" or "mutation", got "${base}"`,
        );
        continue;
      }
      const key = `${base}:${path}`;
      const earlier = graphqlPaths.get(key) ?? prefixConflict(graphqlPaths, base, path);
      if (earlier) {
        const other = String(option(earlier, 'path') ?? earlier.flow);
        const what =
          other === path
            ? `is already served for "${earlier.flow}"`
            : `conflicts with "${other}" of "${earlier.flow}" (one would nest inside the other)`;
        diagnostics.error(
          'MAESTRO_ERR_ENDPOINT',
          e.pos,
          `graphql ${base} field "${path}" of "${e.flow}" ${what} (${earlier.pos.file}:${earlier.pos.line})`,
        );
        continue;
      }
      graphqlPaths.set(key, e);
      const name = option(e, 'name');
      out.push({
        protocol: 'graphql',
        flow,
        path: path.split('.'),
        base,
        name: name === undefined ? undefined : String(name),
        pos: e.pos,
      });
    } else if (e.protocol === 'grpc') {
      const missing = ['package', 'service', 'method'].filter((k) => !option(e, k));
      if (missing.length > 0) {
        diagnostics.error('MAESTRO_ERR_ENDPOINT', e.pos, `grpc endpoint of "${e.flow}" needs ${missing.join(', ')}`);
        continue;
      }
      out.push({
        protocol: 'grpc',
        flow,
        package: String(option(e, 'package')),
        service: String(option(e, 'service')),
        method: String(option(e, 'method')),
        pos: e.pos,
      });
    } else {
      diagnostics.error(
        'MAESTRO_ERR_ENDPOINT',
        e.pos,
        `unknown endpoint protocol "${e.protocol}"${didYouMean(e.protocol, ['http', 'graphql', 'grpc'])}`,
      );
    }
  }
  return out;
}

/** A served path that is a prefix of `path`, or has `path` as its prefix: both cannot be fields. */
function prefixConflict(served: Map<string, EndpointSpec>, base: string, path: string): EndpointSpec | undefined {
  for (const [key, endpoint] of served) {
    if (!key.startsWith(`${base}:`)) continue;
    const other = key.slice(base.length + 1);
    if (other.startsWith(`${path}.`) || path.startsWith(`${other}.`)) return endpoint;
  }
  return undefined;
}

function grpcListener(grpc: GrpcListenerSpec, diagnostics: Diagnostics): GrpcListenerPlan {
  return {
    // A grpc block without an address serves on the daemon's default (or the --grpc flag).
    address: grpc.address.value === '' ? undefined : listenAddress(grpc.address, diagnostics),
    tls: loadTls(grpc.certFile, grpc.keyFile, grpc.pos, diagnostics, 'grpc'),
    maxMessageBytes: positiveSize(grpc.maxMessageSize, 'max_message_size', diagnostics),
    idleTimeoutMs: positiveDuration(grpc.idleTimeout, 'idle_timeout', diagnostics),
    readTimeoutMs: positiveDuration(grpc.readTimeout, 'read_timeout', diagnostics),
  };
}

function httpListener(spec: Spec, diagnostics: Diagnostics): HttpListenerPlan {
  const http = spec.http!;
  const duration = (v: Positioned<string> | undefined): number | undefined => {
    if (!v || v.value === '') return undefined;
    const ms = parseDuration(v.value);
    if (ms === undefined)
      diagnostics.error('MAESTRO_ERR_DURATION', v.pos, `invalid duration "${v.value}"; write e.g. "5s"`);
    return ms;
  };
  const bodyLimit = http.bodyLimit ? parseSize(http.bodyLimit.value) : undefined;
  if (http.bodyLimit && bodyLimit === undefined)
    diagnostics.error('MAESTRO_ERR_SIZE', http.bodyLimit.pos, `invalid body_limit "${String(http.bodyLimit.value)}"`);
  return {
    // An http block without an address serves on the daemon's default (or the --http flag).
    address: http.address.value === '' ? undefined : listenAddress(http.address, diagnostics),
    origin: http.origin.map((o) => o.value),
    tls: loadTls(http.certFile, http.keyFile, http.pos, diagnostics),
    readTimeoutMs: duration(http.readTimeout),
    writeTimeoutMs: duration(http.writeTimeout),
    bodyLimit,
    ...compileListenerLimits(http, diagnostics),
  };
}

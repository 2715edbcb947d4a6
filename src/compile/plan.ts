/**
 * The plan: what compile produces and the executor and listeners run. Everything a
 * request needs is resolved here once — templates are closures over slot indexes,
 * services and types are objects, dependencies are index lists — so nothing on the
 * request path parses, searches by name or walks the spec.
 *
 *   Spec + SchemaRegistry ──compile──▶ Plan ──▶ executeFlow(flow, request)
 */
import type { Codec } from '../codec/codec.js';
import type { Diagnostic } from '../errors.js';
import type { MessageType, SchemaRegistry } from '../schema/types.js';
import type { Pos } from '../spec/types.js';
import type { TemplateFunction } from '../functions/function.js';

/**
 * Per-request state the compiled getters read. One slot per node of the flow: slot i
 * holds node i's response body, response headers, request body and upstream error body.
 * The object keeps one shape for the whole request (fields set once at creation).
 */
export interface ExecContext {
  input: Record<string, unknown>;
  /** Lower-cased header name → value, only the headers the input declares. */
  inputHeader: Record<string, string>;
  /** Path and query parameters. */
  inputParams: Record<string, string>;
  responses: unknown[];
  responseHeaders: Array<Record<string, string> | undefined>;
  requests: unknown[];
  /** Body of a failed upstream answer, readable as `resource.error:` inside on_error. */
  upstreamErrors: unknown[];
  /** `error:message` / `error:status` while an error object is built. */
  error: { status: number; message: string } | undefined;
  /** `error.params:` — the evaluated on_error params. */
  errorParams: Record<string, unknown> | undefined;
  /** Current elements of enclosing `repeated` blocks, innermost last. */
  elements: unknown[];
  requestId: string;
  /** `input.remote:address`: the client's IP address ('' when the listener has none). */
  remoteAddress: string;
}

/** A compiled template or value: reads the context, returns the value. Built once. */
export type Getter = (ctx: ExecContext) => unknown;

/** A key template (rate-limit bucket, cache entry) compiled to its text. */
export type KeyGetter = (ctx: ExecContext) => string;

/** Name → getter pairs, in file order (headers, params). */
export type NamedGetters = ReadonlyArray<readonly [name: string, get: Getter]>;

export interface ServicePlan {
  fullName: string;
  transport: string;
  codec: Codec;
  /** Base URL (http) or host:port (grpc). */
  host: string;
  methods: Map<string, MethodPlan>;
  /** `rate_limit`, `max_in_flight`, `max_wait` of the service block, when any is set. */
  limits?: ServiceLimitPlan;
  pos?: Pos;
}

/**
 * A token bucket: `burst` tokens at most, refilled at `requests` per `everyMs`. A request
 * takes one token or is refused. Several instances share the bucket through Redis.
 */
export interface RateLimitPlan {
  requests: number;
  everyMs: number;
  burst: number;
  /** The bucket key over the request, as text; undefined: one bucket for every client. */
  key: KeyGetter | undefined;
  /** Input headers the key reads (lower-cased): the only ones copied for it. */
  keyHeaders: string[];
  /** `global`, or the key template as written: a bounded metrics label. */
  keyClass: string;
  /** Unique per limit, stable across instances of one config: the bucket's name. */
  id: string;
  pos: Pos;
}

export interface ServiceLimitPlan {
  rateLimit: RateLimitPlan | undefined;
  /** Calls in flight at once; undefined: no cap. */
  maxInFlight: number | undefined;
  /** How long a call waits for a token or a slot before it fails with 503. */
  maxWaitMs: number;
}

/** `cache { ttl key }` of a resource (or inherited from its method). */
export interface CachePlan {
  ttlMs: number;
  /** Custom key, as text; undefined: the call itself (service, method, params, headers, body). */
  key: KeyGetter | undefined;
  pos: Pos;
}

/** Where shared traffic state lives. */
export interface TrafficPlan {
  /** `rate_limit_store { redis }`: a redis:// URL, or undefined for in-process state. */
  redis: string | undefined;
  prefix: string;
  /** Bounds of the in-memory response cache. */
  cacheMaxEntries: number;
  cacheMaxBytes: number;
}

export interface MethodPlan {
  name: string;
  /** HTTP method and path template (`/users/:id`), when the service is called over HTTP. */
  httpMethod?: string;
  httpPath?: string;
  requestType?: MessageType;
  responseType?: MessageType;
  /** `options { … }` of the HCL method, as plain values. */
  options: Record<string, unknown>;
  /** A gRPC server-streaming (`returns (stream T)`) / client-streaming method. */
  responseStream?: boolean;
  requestStream?: boolean;
}

/** What one upstream call sends. */
export interface OutgoingCall {
  body: Record<string, unknown> | undefined;
  /** Fill `:name` path segments, the rest becomes the query string. */
  params: Record<string, string>;
  headers: Record<string, string>;
  requestId: string;
  /** The evaluated `cache { key }` of the resource, when it has one. */
  cacheKey?: string;
}

/** What an upstream answered. A non-2xx status is a result, not a throw. */
export interface CallResult {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * A call bound to its transport, prepared once at start. Throws CallError for a
 * transport failure (refused, reset, timeout, undecodable answer).
 */
export type PreparedCall = (call: OutgoingCall, signal: AbortSignal) => Promise<CallResult>;

/**
 * A server-streaming call bound to its transport: the messages, decoded, as they arrive
 * (pulled, so a slow reader slows the upstream). Ending the iteration early, or `signal`
 * aborting, cancels the upstream call; a failure is thrown as a CallError.
 */
export type PreparedStream = (call: OutgoingCall, signal: AbortSignal) => AsyncIterable<unknown>;

export interface CallPlan {
  service: ServicePlan;
  method: MethodPlan;
  /** Builds the request body (typed when the method has a request type). */
  body: Getter | undefined;
  header: NamedGetters;
  params: NamedGetters;
  timeoutMs: number | undefined;
  /** Set by the daemon when it binds callers; undefined after compile alone. */
  invoke: PreparedCall | undefined;
  /** Server-streaming methods: opens the stream (set by the daemon, see flow/stream.ts). */
  openStream?: PreparedStream;
  pos: Pos;
}

export interface OnErrorPlan {
  status: Getter | undefined;
  message: Getter | undefined;
  params: NamedGetters;
}

export interface ErrorObjectPlan {
  /** Builds the error body from ctx.error / ctx.errorParams. */
  body: Getter;
  type: MessageType | undefined;
}

/** How a failure is turned into an answer: the nearest on_error and error object. */
export interface ErrorHandling {
  onError: OnErrorPlan | undefined;
  errorObject: ErrorObjectPlan | undefined;
}

export interface NodePlan {
  index: number;
  name: string;
  kind: 'call' | 'value';
  before: boolean;
  /** Nodes that must finish first. */
  deps: number[];
  /** Nodes waiting on this one. */
  dependents: number[];
  /** All enclosing `if` conditions, combined; undefined when unconditional. */
  condition: ((ctx: ExecContext) => boolean) | undefined;
  /** Value resources: the value. */
  value: Getter | undefined;
  /** Call resources: the request (undefined for a resource without one). */
  call: CallPlan | undefined;
  rollback: CallPlan | undefined;
  /** Accepted statuses; undefined means any 2xx. */
  expectStatus: ReadonlySet<number> | undefined;
  errors: ErrorHandling;
  /** Response caching and coalescing of the call, when configured. */
  cache?: CachePlan;
  /** `for_each`: one call per element of a list (see flow/for-each.ts). */
  forEach?: ForEachPlan;
  pos: Pos;
}

/**
 * `for_each = "{{ input:items }}"` on a call resource: the request (and rollback) is built
 * once per element, which they read as `item:`; the answers form a list in input order.
 */
export interface ForEachPlan {
  /** Reads the list (undefined or null reads as an empty list). */
  list: Getter;
  /** At most this many calls of the resource in flight at once. */
  maxConcurrency: number;
  /** The expression as written, for pictures and messages. */
  source: string;
}

export interface InputPlan {
  type: MessageType | undefined;
  /** Lower-cased names of the headers the flow may read. */
  headers: string[];
}

export interface OutputPlan {
  type: MessageType | undefined;
  header: NamedGetters;
  body: Getter;
}

export interface ForwardPlan {
  service: ServicePlan;
  header: NamedGetters;
}

export interface RewritePlan {
  pattern: RegExp;
  /** Replacement in JS syntax (`$<name>`). */
  replacement: string;
}

export interface FlowPlan {
  name: string;
  kind: 'flow' | 'proxy';
  input: InputPlan;
  /** Topologically ordered. */
  nodes: NodePlan[];
  /** Indexes of nodes with no dependencies: where a run starts. */
  roots: number[];
  /** Number of dependencies of each node, copied per request. */
  pendingTemplate: Int32Array;
  output: OutputPlan | undefined;
  /** Flow-level handling, used for failures outside a node (bad input). */
  errors: ErrorHandling;
  forward: ForwardPlan | undefined;
  rewrites: RewritePlan[];
  /** Set when a resource calls a server-streaming method: the flow answers a stream. */
  stream?: StreamPlan;
  pos: Pos;
}

/**
 * A flow whose resource `node` calls a server-streaming method. `prelude` is the flow
 * with that resource made a no-op and an output that hands back the request context:
 * the executor runs it as usual (resources, conditions, rollbacks), then the stream is
 * opened with the context and the flow's output maps each message.
 */
export interface StreamPlan {
  node: number;
  prelude: FlowPlan;
}

export interface HttpEndpointPlan {
  protocol: 'http';
  flow: FlowPlan;
  /** Fastify route syntax. */
  path: string;
  /** Upper-case, or '*' for every method. */
  method: string;
  codec: Codec;
  /** Success status (default 200). */
  status: number;
  /** Requests beyond it are answered 429 (RESOURCE_EXHAUSTED) and the flow does not run. */
  rateLimit?: RateLimitPlan;
  pos: Pos;
}

export interface GraphqlEndpointPlan {
  protocol: 'graphql';
  flow: FlowPlan;
  /** Dotted path, e.g. `user.get`. */
  path: string[];
  base: 'query' | 'mutation';
  /** Output object type name. */
  name: string | undefined;
  /** Requests beyond it are answered 429 (RESOURCE_EXHAUSTED) and the flow does not run. */
  rateLimit?: RateLimitPlan;
  pos: Pos;
}

export interface GrpcEndpointPlan {
  protocol: 'grpc';
  flow: FlowPlan;
  package: string;
  service: string;
  method: string;
  /** Requests beyond it are answered 429 (RESOURCE_EXHAUSTED) and the flow does not run. */
  rateLimit?: RateLimitPlan;
  pos: Pos;
}

export type EndpointPlan = HttpEndpointPlan | GraphqlEndpointPlan | GrpcEndpointPlan;

export interface HttpListenerPlan {
  address: string;
  origin: string[];
  certFile: string | undefined;
  keyFile: string | undefined;
  readTimeoutMs: number | undefined;
  writeTimeoutMs: number | undefined;
  bodyLimit: number | undefined;
}

export interface Plan {
  flows: FlowPlan[];
  endpoints: EndpointPlan[];
  services: Map<string, ServicePlan>;
  listeners: {
    http: HttpListenerPlan | undefined;
    grpc: { address: string } | undefined;
    graphql: { address: string } | undefined;
    prometheus: { address: string } | undefined;
    admin: { address: string } | undefined;
  };
  logLevel: string | undefined;
  schemas: SchemaRegistry;
  functions: Map<string, TemplateFunction>;
  warnings: Diagnostic[];
  /** Traffic-control stores (issue 14); absent in plans built without compile. */
  traffic?: TrafficPlan;
}

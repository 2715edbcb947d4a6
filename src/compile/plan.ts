/**
 * The plan: what compile produces and the executor and listeners run. Everything a
 * request needs is resolved here once — templates are closures over slot indexes,
 * services and types are objects, dependencies are index lists — so nothing on the
 * request path parses, searches by name or walks the spec.
 *
 *   Spec + SchemaRegistry ──compile──▶ Plan ──▶ executeFlow(flow, request)
 */
import type { Codec } from '../codec/codec.js';
import type { DecodeLimits } from '../codec/limits.js';
import type { Diagnostic } from '../errors.js';
import type { MessageType, SchemaRegistry } from '../schema/types.js';
import type { Pos } from '../spec/types.js';
import type { TemplateFunction } from '../functions/function.js';
import type { ListenAddress } from './address.js';
import type { Route } from './route.js';
import type { TlsFiles } from './tls.js';
import type { GrpcHost, HttpHost, UpstreamTarget } from './upstream.js';

export type { ListenAddress } from './address.js';
export type { Route, RouteSegment } from './route.js';
export type { TlsFiles } from './tls.js';
export type { GrpcHost, HttpHost, UpstreamTarget } from './upstream.js';

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
  /** Made on first use: the stem of this run's Idempotency-Keys (resilience). */
  runId: string | undefined;
}

/** A compiled template or value: reads the context, returns the value. Built once. */
export type Getter = (ctx: ExecContext) => unknown;

/** A key template (rate-limit bucket, cache entry) compiled to its text. */
export type KeyGetter = (ctx: ExecContext) => string;

/** Name → getter pairs, in file order (headers, params). */
export type NamedGetters = ReadonlyArray<readonly [name: string, get: Getter]>;

export interface ServicePlan {
  readonly fullName: string;
  readonly transport: string;
  readonly codec: Codec;
  /** `request_codec` / `response_codec`: override `codec` for one direction. */
  readonly requestCodec?: Codec;
  readonly responseCodec?: Codec;
  /** Base URL (http) or host:port (grpc), as written (may hold credentials: never log it). */
  readonly host: string;
  /** The host parsed for the http transport (undefined without a host or for other transports). */
  readonly http: HttpHost | undefined;
  /** The host parsed for the grpc transport. */
  readonly grpc: GrpcHost | undefined;
  /** `resolver = …`: the host's name is looked up per call (Consul, DNS). */
  readonly discovery?: DiscoveryPlan;
  readonly methods: ReadonlyMap<string, MethodPlan>;
  /** `rate_limit`, `max_in_flight`, `max_wait` of the service block, when any is set. */
  readonly limits?: ServiceLimitPlan;
  readonly pos?: Pos;
  /** `retry { }` of the service: the default of its calls. */
  readonly retry?: RetryPlan;
  /** `breaker { }` of the service: one circuit breaker shared by all its calls. */
  readonly breaker?: BreakerPlan;
  /** `timeout` / `max_response_size` of the service block, when set (issue #8). */
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
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

/** How a call is retried: only connection errors, 502, 503, 504 (gRPC UNAVAILABLE is 503). */
export interface RetryPlan {
  /** Attempts in all, the first included (1 = no retry). */
  attempts: number;
  /** First delay; each next one doubles, jittered, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** The call is a POST/PATCH the flow declared safe to repeat: it carries an Idempotency-Key. */
  keyed: boolean;
}

export interface BreakerPlan {
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** How long it stays open before one trial call is let through. */
  coolDownMs: number;
}

/** Where rollbacks are recorded. */
export type JournalPlan =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; schema: string; leaseMs: number };

/** Where a service's instances are found: a Consul agent's health API, or DNS SRV/A records. */
export type DiscoveryPlan = DiscoverySource & {
  /** The configured host, split by compile: the name to look up and what a bare answer means. */
  readonly lookup: DiscoveryLookup;
};

/** Where a resolver asks: a `discovery "<name>"` block's Consul agent, or DNS. */
export type DiscoverySource =
  | { readonly provider: 'consul'; readonly name: string; readonly address: string }
  | { readonly provider: 'dns'; readonly name: string };

export interface DiscoveryLookup {
  /** Host name of the service (brackets of an IPv6 literal removed). */
  readonly name: string;
  /** The host's port, or the scheme's default (80/443). */
  readonly defaultPort: number;
  /** `http`, `https`, `grpc` or `grpcs`: the SRV service name for DNS. */
  readonly scheme: string;
}

export interface MethodPlan {
  readonly name: string;
  /** HTTP method and path template (`/users/:id`), when the service is called over HTTP. */
  readonly httpMethod?: string;
  readonly httpPath?: string;
  /** Call timeout from `options { timeout }` of the HCL method, parsed. */
  readonly timeoutMs?: number;
  readonly requestType?: MessageType;
  readonly responseType?: MessageType;
  /** `options { … }` of the HCL method, as plain values. */
  readonly options: Readonly<Record<string, unknown>>;
  /** A gRPC server-streaming (`returns (stream T)`) / client-streaming method. */
  readonly responseStream?: boolean;
  readonly requestStream?: boolean;
  /** `retry { }` of the HCL method. */
  readonly retry?: RetryPlan;
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
  readonly service: ServicePlan;
  readonly method: MethodPlan;
  /** Builds the request body (typed when the method has a request type). */
  readonly body: Getter | undefined;
  readonly header: NamedGetters;
  readonly params: NamedGetters;
  readonly timeoutMs: number | undefined;
  /**
   * Largest answer body read from the upstream; past it the call fails with 502 and the
   * rest is not read. Always set by compile (compile/limits.ts); proxies are exempt.
   */
  readonly maxResponseBytes?: number;
  /** Service host + method path, parsed, when the service is called over HTTP with a host. */
  readonly http: UpstreamTarget | undefined;
  /** HTTP transport options from `options { }` (redirects, TLS, keep-alive); absent means the defaults. */
  readonly httpOptions?: HttpCallOptions;
  readonly pos: Pos;
  /** Retry policy of this call; undefined: one attempt. */
  readonly retry?: RetryPlan;
}

export interface HttpCallOptions {
  /** Follow 301/302/303/307/308 answers (default true, at most 10 hops). */
  followRedirects: boolean;
  /** Do not verify the upstream's TLS certificate. */
  insecure: boolean;
  /** Absolute path of a PEM file of trusted CA certificates. */
  caFile?: string;
  /** TCP keep-alive initial delay for upstream connections. */
  keepAliveMs?: number;
}

export interface OnErrorPlan {
  readonly status: Getter | undefined;
  readonly message: Getter | undefined;
  readonly params: NamedGetters;
}

export interface ErrorObjectPlan {
  /** Builds the error body from ctx.error / ctx.errorParams. */
  readonly body: Getter;
  readonly type: MessageType | undefined;
}

/** How a failure is turned into an answer: the nearest on_error and error object. */
export interface ErrorHandling {
  readonly onError: OnErrorPlan | undefined;
  readonly errorObject: ErrorObjectPlan | undefined;
}

export interface NodePlan {
  readonly index: number;
  readonly name: string;
  readonly kind: 'call' | 'value';
  readonly before: boolean;
  /** Nodes that must finish first. */
  readonly deps: readonly number[];
  /** Nodes waiting on this one. */
  readonly dependents: readonly number[];
  /** All enclosing `if` conditions, combined; undefined when unconditional. */
  readonly condition: ((ctx: ExecContext) => boolean) | undefined;
  /** Value resources: the value. */
  readonly value: Getter | undefined;
  /** Call resources: the request (undefined for a resource without one). */
  readonly call: CallPlan | undefined;
  readonly rollback: CallPlan | undefined;
  /** Accepted statuses; undefined means any 2xx. */
  readonly expectStatus: ReadonlySet<number> | undefined;
  readonly errors: ErrorHandling;
  /** Response caching and coalescing of the call, when configured. */
  readonly cache?: CachePlan;
  /** `for_each`: one call per element of a list (see flow/for-each.ts). */
  readonly forEach?: ForEachPlan;
  readonly pos: Pos;
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
  readonly type: MessageType | undefined;
  /** Lower-cased names of the headers the flow may read. */
  readonly headers: readonly string[];
}

export interface OutputPlan {
  readonly type: MessageType | undefined;
  readonly header: NamedGetters;
  readonly body: Getter;
}

export interface ForwardPlan {
  readonly service: ServicePlan;
  readonly header: NamedGetters;
  /** The service host, parsed, for an HTTP target; undefined for a gRPC target (relayed by gRPC endpoints). */
  readonly target: HttpHost | undefined;
  /** TLS trust and keep-alive from the service's `options { }`, when it sets any. */
  readonly httpOptions?: HttpCallOptions;
}

export interface RewritePlan {
  readonly pattern: RegExp;
  /** Replacement in JS syntax (`$<name>`). */
  readonly replacement: string;
  /** The new path for a match (Semaphore: the whole path becomes the filled-in template). */
  readonly expand?: (match: RegExpExecArray) => string;
}

export interface FlowPlan {
  readonly name: string;
  readonly kind: 'flow' | 'proxy';
  readonly input: InputPlan;
  /** Topologically ordered. */
  readonly nodes: readonly NodePlan[];
  /** Indexes of nodes with no dependencies: where a run starts. */
  readonly roots: readonly number[];
  /** Number of dependencies of each node, copied per request into an Int32Array. */
  readonly pendingTemplate: readonly number[];
  readonly output: OutputPlan | undefined;
  /** Flow-level handling, used for failures outside a node (bad input). */
  readonly errors: ErrorHandling;
  readonly forward: ForwardPlan | undefined;
  readonly rewrites: readonly RewritePlan[];
  /** Set when a resource calls a server-streaming method: the flow answers a stream. */
  readonly stream?: StreamPlan;
  readonly pos: Pos;
  /** Deadline of the whole flow (its own `timeout`, else `flow_timeout`). */
  readonly timeoutMs?: number;
  /** Some node has a rollback: runs of this flow are journaled. */
  readonly hasRollbacks?: boolean;
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
  readonly protocol: 'http';
  readonly flow: FlowPlan;
  /** The path as written (`/users/:id`). */
  readonly path: string;
  /** The path, parsed once (the listener derives its router syntax from it). */
  readonly route: Route;
  /** Upper-case, or '*' for every method. */
  readonly method: string;
  readonly codec: Codec;
  /** `request_codec` decodes the body whatever its Content-Type; `response_codec` encodes the answer. */
  readonly requestCodec?: Codec;
  readonly responseCodec?: Codec;
  /** Success status (default 200). */
  readonly status: number;
  /** Requests beyond it are answered 429 (RESOURCE_EXHAUSTED) and the flow does not run. */
  readonly rateLimit?: RateLimitPlan;
  readonly pos: Pos;
}

export interface GraphqlEndpointPlan {
  readonly protocol: 'graphql';
  readonly flow: FlowPlan;
  /** Dotted path, e.g. `user.get`. */
  readonly path: readonly string[];
  readonly base: 'query' | 'mutation';
  /** Output object type name. */
  readonly name: string | undefined;
  /** Requests beyond it are answered 429 (RESOURCE_EXHAUSTED) and the flow does not run. */
  readonly rateLimit?: RateLimitPlan;
  readonly pos: Pos;
}

export interface GrpcEndpointPlan {
  readonly protocol: 'grpc';
  readonly flow: FlowPlan;
  readonly package: string;
  readonly service: string;
  readonly method: string;
  /** Requests beyond it are answered 429 (RESOURCE_EXHAUSTED) and the flow does not run. */
  readonly rateLimit?: RateLimitPlan;
  readonly pos: Pos;
}

export type EndpointPlan = HttpEndpointPlan | GraphqlEndpointPlan | GrpcEndpointPlan;

export interface HttpListenerPlan {
  /** Undefined when the block sets none: the daemon's default or flag applies. */
  readonly address: ListenAddress | undefined;
  readonly origin: readonly string[];
  /** PEM text of cert_file and key_file, read and checked at compile. */
  readonly tls: TlsFiles | undefined;
  readonly readTimeoutMs: number | undefined;
  readonly writeTimeoutMs: number | undefined;
  readonly bodyLimit: number | undefined;
  /** Hardening (issue #8); absent means the default of transport/http/timeouts.ts and codec/limits.ts. */
  readonly headerTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly limits?: DecodeLimits;
}

/** `grpc { }`; a limit left undefined takes the listener's default (transport/grpc/server.ts). */
export interface GrpcListenerPlan {
  /** Undefined when the block sets none: the daemon's default or flag applies. */
  readonly address: ListenAddress | undefined;
  readonly tls: TlsFiles | undefined;
  /** The bound on each request message (and each message a proxy relays). */
  readonly maxMessageBytes: number | undefined;
  /** A connection without calls for this long is closed (GOAWAY). */
  readonly idleTimeoutMs: number | undefined;
  /** A unary or server-streaming call's request message must have arrived within this. */
  readonly readTimeoutMs: number | undefined;
}

export interface Plan {
  readonly flows: readonly FlowPlan[];
  readonly endpoints: readonly EndpointPlan[];
  readonly services: ReadonlyMap<string, ServicePlan>;
  readonly listeners: {
    readonly http: HttpListenerPlan | undefined;
    readonly grpc: GrpcListenerPlan | undefined;
    readonly graphql: { readonly address: ListenAddress } | undefined;
    readonly prometheus: { readonly address: ListenAddress } | undefined;
    readonly admin: { readonly address: ListenAddress } | undefined;
  };
  readonly logLevel: string | undefined;
  /** Header names (lower case) never logged, from `log { redact }`; the built-in ones are not listed. */
  readonly logRedact: readonly string[];
  /** `telemetry { otlp }`: where spans are exported, when set. */
  readonly telemetry: { readonly otlp: string | undefined } | undefined;
  readonly schemas: SchemaRegistry;
  readonly functions: ReadonlyMap<string, TemplateFunction>;
  readonly warnings: readonly Diagnostic[];
  /** Traffic-control stores (issue 14); absent in plans built without compile. */
  readonly traffic?: TrafficPlan;
  /** `journal { }`; undefined: the default (SQLite at ./maestro-data/journal.db). */
  readonly journal?: JournalPlan;
}

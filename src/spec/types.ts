/**
 * The specification: what the HCL files say, as plain data, with every node positioned.
 * `config/` produces it, `compile/` consumes it. It imports nothing of ours.
 *
 * Values are kept as written (after `$VAR` expansion): templates such as
 * `"{{ input:id }}"` stay strings here and are parsed by `compile/`.
 */

/** Where a node was written. `line` and `column` are 1-based. */
export interface Pos {
  file: string;
  line: number;
  column: number;
}

/**
 * A literal HCL value. Integers beyond 2^53 are `bigint` so they stay exact.
 * Objects keep the order in which keys were written.
 */
export type HclValue = string | number | bigint | boolean | null | HclValue[] | HclObject;
export interface HclObject {
  [key: string]: HclValue;
}

/**
 * One entry of a message-shaped body (a request, an output, an error object, params,
 * header). Entries keep file order; an attribute and a nested block may share a name
 * (`message = "…"` beside `message "meta" {}`) and both are kept.
 */
export type FieldSpec = ValueField | MessageField | RepeatedField;

export interface ValueField {
  kind: 'value';
  name: string;
  value: HclValue;
  pos: Pos;
}

/** `message "name" { … }`: a nested message. */
export interface MessageField {
  kind: 'message';
  name: string;
  fields: FieldSpec[];
  pos: Pos;
}

/** `repeated "name" "input:items" { … }`: one element per element of `source`. */
export interface RepeatedField {
  kind: 'repeated';
  name: string;
  /** The reference the elements come from, as written (`input:items` or `{{ input:items }}`). */
  source: string;
  fields: FieldSpec[];
  pos: Pos;
}

/** A string attribute with its position, e.g. an `include` entry or a header name. */
export interface Positioned<T> {
  value: T;
  pos: Pos;
}

export interface Spec {
  /** Every file that was loaded, in load order (absolute paths). */
  files: string[];
  logLevel?: Positioned<string>;
  /** Proto globs, already made absolute against the file that named them. */
  protobuffers: Positioned<string>[];
  /** `openapi3 = [...]` and `avro = [...]` schema files (globs), already absolute. */
  openapi3?: Positioned<string>[];
  avro?: Positioned<string>[];
  /** JavaScript modules that add template functions, absolute paths. */
  functions: Positioned<string>[];
  http?: HttpListenerSpec;
  /** `upstream { timeout  max_response_size }`: defaults of every upstream call (issue #8). */
  upstream?: UpstreamSpec;
  grpc?: GrpcListenerSpec;
  graphql?: ListenerSpec;
  prometheus?: ListenerSpec;
  admin?: ListenerSpec;
  /** `log { redact = [...] }`. */
  log?: LogSpec;
  /** `telemetry { otlp = "…" }`. */
  telemetry?: TelemetrySpec;
  services: ServiceSpec[];
  /** `services { select "pattern" { … } }` overrides, in file order. */
  selects: SelectSpec[];
  discovery: DiscoverySpec[];
  /** Global `error` object (the last one written wins; duplicates are reported). */
  error?: ErrorObjectSpec;
  /** Global `on_error`. */
  onError?: OnErrorSpec;
  endpoints: EndpointSpec[];
  flows: FlowSpec[];
  /** Secrets for `jwt()`: `jwt { key = "…" }` blocks, by name ("" for the default). */
  jwtKeys: JwtKeySpec[];
  /** `rate_limit_store { redis prefix }`: limits and caches shared through Redis. */
  rateLimitStore?: RateLimitStoreSpec;
  /** Top-level `cache { max_entries max_bytes }`: bounds of the in-memory response cache. */
  cacheStore?: CacheStoreSpec;
  /** `journal { path | postgres … }`: where rollbacks are recorded (resilience). */
  journal?: JournalSpec;
  /** `flow_timeout = "30s"`: the deadline of every flow that sets none. */
  flowTimeout?: Positioned<string>;
}

/** `rate_limit { requests every burst key }`; attributes as written, checked by compile. */
export interface RateLimitSpec {
  requests?: Positioned<HclValue>;
  every?: Positioned<HclValue>;
  burst?: Positioned<HclValue>;
  /** A template over the request; absent means one bucket for all clients. */
  key?: Positioned<HclValue>;
  pos: Pos;
}

/** `cache { ttl key }` on a resource or a service method. */
export interface CacheSpec {
  ttl?: Positioned<HclValue>;
  key?: Positioned<HclValue>;
  pos: Pos;
}

export interface RateLimitStoreSpec {
  redis?: Positioned<HclValue>;
  /** Prefix of every Redis key (default `maestro:`). */
  prefix?: Positioned<HclValue>;
  pos: Pos;
}

export interface CacheStoreSpec {
  maxEntries?: Positioned<HclValue>;
  maxBytes?: Positioned<HclValue>;
  pos: Pos;
}

export interface LogSpec {
  /** Header names never written to a log line, on top of the built-in ones. */
  redact: Positioned<string>[];
  pos: Pos;
}

export interface TelemetrySpec {
  /** OTLP/HTTP endpoint spans are exported to (`http://collector:4318`). */
  otlp?: Positioned<string>;
  pos: Pos;
}

/** `retry { attempts backoff max_backoff idempotent }` on a service, method, resource or call. */
export interface RetrySpec {
  attempts?: Positioned<number>;
  backoff?: Positioned<string>;
  maxBackoff?: Positioned<string>;
  /** The flow declares a POST/PATCH safe to repeat (sent with an Idempotency-Key). */
  idempotent?: Positioned<boolean>;
  pos: Pos;
}

/** `breaker { failures cool_down }` on a service. */
export interface BreakerSpec {
  failures?: Positioned<number>;
  coolDown?: Positioned<string>;
  pos: Pos;
}

/** `journal { path | postgres, schema, lease }`. */
export interface JournalSpec {
  path?: Positioned<string>;
  postgres?: Positioned<string>;
  schema?: Positioned<string>;
  lease?: Positioned<string>;
  pos: Pos;
}

export interface ListenerSpec {
  address: Positioned<string>;
  pos: Pos;
}

export interface HttpListenerSpec extends ListenerSpec {
  origin: Positioned<string>[];
  certFile?: Positioned<string>;
  keyFile?: Positioned<string>;
  readTimeout?: Positioned<string>;
  writeTimeout?: Positioned<string>;
  bodyLimit?: Positioned<string | number>;
  /** Hardening (issue #8): listener timeouts and decoder limits, see codec/limits.ts. */
  headerTimeout?: Positioned<string>;
  idleTimeout?: Positioned<string>;
  maxFields?: Positioned<string | number>;
  maxArrayIndex?: Positioned<string | number>;
  maxDepth?: Positioned<string | number>;
}

/** `grpc { }`: the gRPC listener's address, TLS files and limits. */
export interface GrpcListenerSpec extends ListenerSpec {
  certFile?: Positioned<string>;
  keyFile?: Positioned<string>;
  maxMessageSize?: Positioned<string | number>;
  idleTimeout?: Positioned<string>;
  readTimeout?: Positioned<string>;
}

export interface UpstreamSpec {
  timeout?: Positioned<string>;
  maxResponseSize?: Positioned<string | number>;
  pos: Pos;
}

export interface ServiceSpec {
  /** `service "com.org" "Users"` → package "com.org", name "Users". */
  package: string;
  name: string;
  /** package + "." + name, as references write it. */
  fullName: string;
  transport?: Positioned<string>;
  codec?: Positioned<string>;
  host?: Positioned<string>;
  resolver?: Positioned<string>;
  requestCodec?: Positioned<string>;
  responseCodec?: Positioned<string>;
  /** Every call of the service, unless the call or method sets its own (issue #8). */
  timeout?: Positioned<string>;
  maxResponseSize?: Positioned<string | number>;
  options: Record<string, Positioned<HclValue>>;
  methods: MethodSpec[];
  /** Traffic control (issue 14): calls per time, concurrent calls, how long a call may wait. */
  rateLimit?: RateLimitSpec;
  maxInFlight?: Positioned<HclValue>;
  maxWait?: Positioned<HclValue>;
  retry?: RetrySpec;
  breaker?: BreakerSpec;
  pos: Pos;
}

export interface MethodSpec {
  name: string;
  request?: Positioned<string>;
  response?: Positioned<string>;
  /** `options { endpoint method timeout … }`. */
  options: Record<string, Positioned<HclValue>>;
  /** Response cache for every call of this method (a resource's own `cache` wins). */
  cache?: CacheSpec;
  retry?: RetrySpec;
  pos: Pos;
}

export interface SelectSpec {
  pattern: string;
  host?: Positioned<string>;
  transport?: Positioned<string>;
  codec?: Positioned<string>;
  resolver?: Positioned<string>;
  requestCodec?: Positioned<string>;
  responseCodec?: Positioned<string>;
  pos: Pos;
}

export interface DiscoverySpec {
  name: string;
  provider: string;
  address?: Positioned<string>;
  pos: Pos;
}

export interface JwtKeySpec {
  name: string;
  /** Attribute name → value (`secret`, `public_key`, `public_key_file`, `algorithms`, `issuer`, `audience`). */
  attributes: Record<string, Positioned<HclValue>>;
  pos: Pos;
}

export interface EndpointSpec {
  flow: string;
  /** http | grpc | graphql (others are kept and reported by compile). */
  protocol: string;
  /** Attributes as written: endpoint, method, codec, status, path, name, base, package, service, … */
  options: Record<string, Positioned<HclValue>>;
  /** Nested blocks are accepted (Semaphore allowed arbitrary ones) and kept as fields. */
  fields: FieldSpec[];
  /** `rate_limit { … }`: requests beyond it are answered 429 without running the flow. */
  rateLimit?: RateLimitSpec;
  pos: Pos;
}

/** A `flow` or a `proxy`. */
export interface FlowSpec {
  kind: 'flow' | 'proxy';
  name: string;
  input?: InputSpec;
  /** Resources in file order, `before` ones first-class with `before: true`. */
  resources: ResourceSpec[];
  error?: ErrorObjectSpec;
  onError?: OnErrorSpec;
  output?: OutputSpec;
  /** Proxy only. */
  forward?: ForwardSpec;
  /** Proxy only, in file order. */
  rewrites: RewriteSpec[];
  /** `timeout = "5s"`: the deadline of the whole flow. */
  timeout?: Positioned<string>;
  pos: Pos;
}

export interface InputSpec {
  /** Message type name, absent for `input {}`. */
  schema?: string;
  /** Header names to expose as `input.header:<name>`, as written. */
  header: Positioned<string>[];
  /** `params = "com.Message"` of a proxy input. */
  params?: Positioned<string>;
  options: Record<string, Positioned<HclValue>>;
  pos: Pos;
}

/** The condition of one `if` block. */
export interface ConditionSpec {
  expression: string;
  pos: Pos;
}

export interface ResourceSpec {
  name: string;
  /**
   * `resource "x" { request … }` is a call; each key of `resources { k = v }` is a value
   * resource whose result is the value itself.
   */
  kind: 'call' | 'value';
  /** For value resources. */
  value?: HclValue;
  /** Enclosing `if` blocks, outermost first; the resource runs when all hold. */
  conditions: ConditionSpec[];
  /** Declared in `before { }`: runs before every other resource of the flow. */
  before: boolean;
  dependsOn: Positioned<string>[];
  /** `for_each = "{{ input:items }}"`: one call per element, the element read as `item:`. */
  forEach?: Positioned<string>;
  /** `max_concurrency = 8`: calls of a for_each resource in flight at once. */
  maxConcurrency?: Positioned<number>;
  expectStatus?: Positioned<number[]>;
  request?: CallSpec;
  rollback?: CallSpec;
  error?: ErrorObjectSpec;
  onError?: OnErrorSpec;
  /** `cache { ttl key }`: the call's answer is kept and identical concurrent calls share one. */
  cache?: CacheSpec;
  /** `retry { }` of the resource: applies to its request. */
  retry?: RetrySpec;
  pos: Pos;
}

export interface CallSpec {
  service: string;
  method: string;
  header: FieldSpec[];
  params: FieldSpec[];
  /** `options { timeout = "2s" … }`. */
  options: Record<string, Positioned<HclValue>>;
  /** Body fields, nested messages and repeated blocks, in file order. */
  fields: FieldSpec[];
  /** `retry { }` written inside the request or rollback block. */
  retry?: RetrySpec;
  pos: Pos;
}

export interface ErrorObjectSpec {
  schema?: string;
  fields: FieldSpec[];
  pos: Pos;
}

export interface OnErrorSpec {
  schema?: Positioned<string>;
  status?: Positioned<HclValue>;
  message?: Positioned<HclValue>;
  params: FieldSpec[];
  pos: Pos;
}

export interface OutputSpec {
  schema?: string;
  header: FieldSpec[];
  fields: FieldSpec[];
  pos: Pos;
}

export interface ForwardSpec {
  service: string;
  header: FieldSpec[];
  pos: Pos;
}

export interface RewriteSpec {
  /** A regular expression; Go-style `(?P<name>…)` groups are accepted. */
  pattern: string;
  /** The replacement; `<name>` inserts a group. */
  template: string;
  pos: Pos;
}

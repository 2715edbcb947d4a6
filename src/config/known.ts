/**
 * THE TABLE of names the configuration language knows, by place. One table, kept here:
 *
 * - where a place takes free-form members (an endpoint's attributes and blocks, an
 *   `options { }` block), Semaphore accepted any name silently; a name that no protocol
 *   knows is a WARNING with file:line and the closest known name (`did you mean "method"?`);
 * - where a place is strict (a resource, a flow, a service…), an unknown name is an ERROR
 *   raised by the builder (config/read.ts `dispatch`), and this table adds its names to the
 *   "did you mean" candidates.
 *
 * Names of DESIGN §9 (journal, admin, telemetry, log, retry, breaker, timeout,
 * max_response_size, rate_limit, rate_limit_store, cache, for_each, max_concurrency, …) are
 * listed already, so a branch that implements one is not flagged by this one. Adding a
 * language feature? Add its names here.
 */

export interface KnownNames {
  readonly attributes: readonly string[];
  readonly blocks: readonly string[];
}

const names = (attributes: readonly string[], blocks: readonly string[] = []): KnownNames => ({ attributes, blocks });

/** Attributes of an endpoint, by protocol (Semaphore's own first, then Maestro's). */
export const ENDPOINT_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  http: ['endpoint', 'method', 'codec', 'status', 'read_timeout', 'write_timeout', 'request_codec', 'response_codec'],
  graphql: ['path', 'name', 'base'],
  grpc: ['package', 'service', 'method'],
};

/** Blocks of an endpoint, any protocol: `rate_limit { requests every key }` (§9). */
export const ENDPOINT_BLOCKS: readonly string[] = ['rate_limit'];

export const KNOWN = {
  top: names(
    ['log_level', 'protobuffers', 'functions', 'include', 'openapi3', 'avro', 'flow_timeout'],
    [
      'http',
      'grpc',
      'graphql',
      'prometheus',
      'admin',
      'service',
      'services',
      'discovery',
      'error',
      'on_error',
      'endpoint',
      'flow',
      'proxy',
      'jwt',
      'journal',
      'telemetry',
      'log',
      'rate_limit_store',
      'cache',
      'upstream',
    ],
  ),
  http: names([
    'address',
    'origin',
    'cert_file',
    'key_file',
    'read_timeout',
    'write_timeout',
    'body_limit',
    'header_timeout',
    'idle_timeout',
    'max_header_size',
    'max_fields',
    'max_array_index',
    'max_depth',
  ]),
  /** `upstream { }`: defaults of every upstream call (issue #8). */
  upstream: names(['timeout', 'max_response_size']),
  listener: names(['address']),
  /** `grpc { }`: the gRPC listener's TLS files and limits beside its address. */
  grpc: names(['address', 'cert_file', 'key_file', 'max_message_size', 'idle_timeout', 'read_timeout']),
  journal: names(['path', 'postgres', 'schema', 'lease']),
  telemetry: names(['otlp']),
  log: names(['redact']),
  rate_limit_store: names(['redis', 'prefix']),
  rate_limit: names(['requests', 'every', 'key', 'burst']),
  service: names(
    [
      'transport',
      'codec',
      'host',
      'resolver',
      'request_codec',
      'response_codec',
      'timeout',
      'max_response_size',
      'max_in_flight',
      'max_wait',
    ],
    ['options', 'method', 'retry', 'breaker', 'rate_limit'],
  ),
  retry: names(['attempts', 'backoff', 'max_backoff', 'idempotent']),
  breaker: names(['failures', 'cool_down']),
  method: names(['request', 'response'], ['options', 'retry', 'cache']),
  select: names(['host', 'transport', 'codec', 'resolver', 'request_codec', 'response_codec']),
  discovery: names(['provider', 'address']),
  jwt: names(['secret', 'public_key', 'public_key_file', 'algorithms', 'issuer', 'audience', 'jwks_url', 'jwks_file']),
  /** `options { }` of an HCL service method: how the HTTP caller reaches it (and the transport options of call_options). */
  method_options: names([
    'endpoint',
    'method',
    'timeout',
    'max_response_size',
    'follow_redirects',
    'insecure',
    'ca_file',
    'max_idle_conns',
    'flush_interval',
    'keep_alive',
  ]),
  /** `options { }` of a request or rollback: per-call transport settings. */
  call_options: names([
    'timeout',
    'max_response_size',
    'follow_redirects',
    'insecure',
    'ca_file',
    'max_idle_conns',
    'flush_interval',
    'keep_alive',
  ]),
  /** `options { }` of a service: the HTTP transport options its calls and forwards inherit (compile/call-options.ts). */
  service_options: names(['follow_redirects', 'insecure', 'ca_file', 'max_idle_conns', 'flush_interval', 'keep_alive']),
  /** `options { }` of a flow input: no protocol reads any yet. */
  input_options: names([]),
  flow: names(
    ['timeout'],
    ['input', 'output', 'before', 'resource', 'resources', 'if', 'error', 'on_error', 'forward', 'rewrite'],
  ),
  resource: names(
    ['depends_on', 'expect_status', 'for_each', 'max_concurrency'],
    ['request', 'rollback', 'error', 'on_error', 'cache', 'retry'],
  ),
  cache: names(['ttl', 'key', 'max_entries', 'max_bytes']),
} as const satisfies Record<string, KnownNames>;

export type KnownPlace = keyof typeof KNOWN;

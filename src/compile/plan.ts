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
}

/** A compiled template or value: reads the context, returns the value. Built once. */
export type Getter = (ctx: ExecContext) => unknown;

/** Name → getter pairs, in file order (headers, params). */
export type NamedGetters = ReadonlyArray<readonly [name: string, get: Getter]>;

export interface ServicePlan {
  fullName: string;
  transport: string;
  codec: Codec;
  /** Base URL (http) or host:port (grpc). */
  host: string;
  methods: Map<string, MethodPlan>;
  pos?: Pos;
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
}

/** What one upstream call sends. */
export interface OutgoingCall {
  body: Record<string, unknown> | undefined;
  /** Fill `:name` path segments, the rest becomes the query string. */
  params: Record<string, string>;
  headers: Record<string, string>;
  requestId: string;
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
  pos: Pos;
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
  pos: Pos;
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
  pos: Pos;
}

export interface GrpcEndpointPlan {
  protocol: 'grpc';
  flow: FlowPlan;
  package: string;
  service: string;
  method: string;
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
  /** Header names (lower case) never logged, from `log { redact }`; the built-in ones are not listed. */
  logRedact: string[];
  /** `telemetry { otlp }`: where spans are exported, when set. */
  telemetry: { otlp: string | undefined } | undefined;
  schemas: SchemaRegistry;
  functions: Map<string, TemplateFunction>;
  warnings: Diagnostic[];
}

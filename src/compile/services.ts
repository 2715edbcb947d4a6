/**
 * Services come from .proto files (with Semaphore's annotations), from HCL `service`
 * blocks, or both; `services { select "pattern" { … } }` then overrides host, transport
 * and codec by name pattern. The result is one ServicePlan per service name.
 */
import { codecs, type Codec } from '../codec/index.js';
import { didYouMean, type Diagnostics } from '../errors.js';
import type { MessageType, SchemaRegistry } from '../schema/types.js';
import type { Positioned, Pos, SelectSpec, Spec } from '../spec/types.js';
import { isMethodToken } from './http-names.js';
import { compileDiscovery, discoveryPlan } from './discovery.js';
import { positiveDuration, positiveSize } from './limits.js';
import type { MethodPlan, ServicePlan } from './plan.js';
import { parseGrpcHost, parseHttpHost, type GrpcHost, type HttpHost } from './upstream.js';

const TRANSPORTS = new Set(['http', 'grpc', 'graphql']);

interface ServiceDraft {
  fullName: string;
  transport?: Positioned<string> | string;
  codec?: Positioned<string> | string;
  host?: Positioned<string> | string;
  resolver?: Positioned<string>;
  requestCodec?: Positioned<string>;
  responseCodec?: Positioned<string>;
  timeout?: Positioned<string>;
  maxResponseSize?: Positioned<string | number>;
  methods: Map<string, MethodPlan>;
  pos?: Pos;
}

/** Resolved services, plus what compile needs to report a missing host where it is used. */
export interface ServiceTable {
  services: Map<string, ServicePlan>;
  /** Services without a host: reported at the first use. */
  missingHost: Set<string>;
}

export function compileServices(spec: Spec, schemas: SchemaRegistry, diagnostics: Diagnostics): ServiceTable {
  const drafts = new Map<string, ServiceDraft>();
  for (const service of schemas.services.values()) {
    const methods = new Map<string, MethodPlan>();
    for (const method of service.methods.values()) {
      methods.set(method.name, {
        name: method.name,
        httpMethod: method.http?.method?.toUpperCase() || undefined,
        httpPath: method.http?.endpoint || undefined,
        requestType: method.request,
        responseType: method.response,
        options: {},
        ...(method.responseStream ? { responseStream: true } : {}),
        ...(method.requestStream ? { requestStream: true } : {}),
      });
    }
    drafts.set(service.fullName, {
      fullName: service.fullName,
      transport: service.options.transport,
      codec: service.options.codec,
      host: service.options.host,
      requestCodec: protoOption(service.options.requestCodec, service.pos),
      responseCodec: protoOption(service.options.responseCodec, service.pos),
      methods,
      pos: service.pos,
    });
  }

  for (const block of spec.services) {
    const draft: ServiceDraft = drafts.get(block.fullName) ?? {
      fullName: block.fullName,
      methods: new Map(),
      pos: block.pos,
    };
    drafts.set(block.fullName, draft);
    draft.pos ??= block.pos;
    if (block.transport) draft.transport = block.transport;
    if (block.codec) draft.codec = block.codec;
    if (block.host) draft.host = block.host;
    if (block.resolver) draft.resolver = block.resolver;
    if (block.requestCodec) draft.requestCodec = block.requestCodec;
    if (block.responseCodec) draft.responseCodec = block.responseCodec;
    if (block.timeout) draft.timeout = block.timeout;
    if (block.maxResponseSize) draft.maxResponseSize = block.maxResponseSize;
    for (const method of block.methods) {
      const existing = draft.methods.get(method.name);
      const options = Object.fromEntries(Object.entries(method.options).map(([k, v]) => [k, v.value]));
      // Checked here, where the position is known; calls read the plain value (size) or timeoutMs.
      positiveSize(method.options.max_response_size, 'max_response_size', diagnostics);
      const endpoint = typeof options.endpoint === 'string' ? options.endpoint : existing?.httpPath;
      const verb = typeof options.method === 'string' ? options.method.toUpperCase() : existing?.httpMethod;
      if (verb !== undefined && !isMethodToken(verb)) {
        diagnostics.error(
          'MAESTRO_ERR_METHOD',
          method.options.method?.pos ?? method.pos,
          `method "${String(options.method)}" of ${block.fullName}.${method.name} is not an HTTP method`,
        );
      }
      const timeout = method.options.timeout;
      const timeoutMs = timeout ? positiveDuration(timeout, 'timeout', diagnostics) : existing?.timeoutMs;
      draft.methods.set(method.name, {
        name: method.name,
        httpMethod: verb,
        httpPath: endpoint,
        timeoutMs,
        requestType: resolveMessage(method.request, schemas, diagnostics) ?? existing?.requestType,
        responseType: resolveMessage(method.response, schemas, diagnostics) ?? existing?.responseType,
        options: { ...existing?.options, ...options },
        ...(existing?.responseStream ? { responseStream: true } : {}),
        ...(existing?.requestStream ? { requestStream: true } : {}),
      });
    }
  }

  for (const select of spec.selects) applySelect(select, drafts, diagnostics);

  const services = new Map<string, ServicePlan>();
  const missingHost = new Set<string>();
  for (const draft of drafts.values()) {
    const transport = valueOf(draft.transport) || 'http';
    const codecName = valueOf(draft.codec) || 'json';
    const pos = positionOf(draft.transport) ?? draft.pos;
    if (!TRANSPORTS.has(transport) && pos) {
      diagnostics.error(
        'MAESTRO_ERR_TRANSPORT',
        pos,
        `unknown transport "${transport}" for service "${draft.fullName}"${didYouMean(transport, TRANSPORTS)}`,
      );
    }
    const codec = codecs.get(codecName);
    if (!codec) {
      const at = positionOf(draft.codec) ?? draft.pos;
      if (at)
        diagnostics.error(
          'MAESTRO_ERR_CODEC_UNKNOWN',
          at,
          `unknown codec "${codecName}" for service "${draft.fullName}"${didYouMean(codecName, codecs.keys())}`,
        );
    }
    const host = valueOf(draft.host);
    if (!host) missingHost.add(draft.fullName);
    const parsed = host ? parseHost(draft, transport, host, diagnostics) : {};
    services.set(draft.fullName, {
      fullName: draft.fullName,
      transport,
      codec: codec ?? codecs.get('json')!,
      requestCodec: namedCodec(draft.requestCodec, 'request_codec', draft.fullName, diagnostics),
      responseCodec: namedCodec(draft.responseCodec, 'response_codec', draft.fullName, diagnostics),
      host,
      http: parsed.http,
      grpc: parsed.grpc,
      discovery: discoveryPlan(
        compileDiscovery(draft.resolver, spec.discovery, draft.fullName, transport, diagnostics),
        parsed.http,
        parsed.grpc,
      ),
      methods: draft.methods,
      pos: draft.pos,
      timeoutMs: positiveDuration(draft.timeout, 'timeout', diagnostics),
      maxResponseBytes: positiveSize(draft.maxResponseSize, 'max_response_size', diagnostics),
    });
  }
  return { services, missingHost };
}

/** The host as its transport reads it; a malformed one is an error at the host's position. */
function parseHost(
  draft: ServiceDraft,
  transport: string,
  host: string,
  diagnostics: Diagnostics,
): { http?: HttpHost; grpc?: GrpcHost } {
  const parsed = transport === 'grpc' ? parseGrpcHost(host) : transport === 'http' ? parseHttpHost(host) : undefined;
  if (typeof parsed === 'string') {
    const at = positionOf(draft.host) ?? draft.pos;
    // The value is not repeated: a host may carry credentials.
    if (at)
      diagnostics.error('MAESTRO_ERR_HOST', at, `service "${draft.fullName}" (transport ${transport}): ${parsed}`);
    return {};
  }
  if (parsed === undefined) return {};
  return transport === 'grpc' ? { grpc: parsed as GrpcHost } : { http: parsed as HttpHost };
}

function applySelect(select: SelectSpec, drafts: Map<string, ServiceDraft>, diagnostics: Diagnostics): void {
  const pattern = globToRegExp(select.pattern);
  let matched = 0;
  for (const draft of drafts.values()) {
    if (!pattern.test(draft.fullName)) continue;
    matched++;
    if (select.host) draft.host = select.host;
    if (select.transport) draft.transport = select.transport;
    if (select.codec) draft.codec = select.codec;
    if (select.resolver) draft.resolver = select.resolver;
    if (select.requestCodec) draft.requestCodec = select.requestCodec;
    if (select.responseCodec) draft.responseCodec = select.responseCodec;
  }
  if (matched === 0) {
    diagnostics.warn('MAESTRO_WARN_SELECT', select.pos, `services select "${select.pattern}" matches no service`);
  }
}

/** `com.org.*` → any service in com.org (and below); `?` one character. */
function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

function resolveMessage(
  name: Positioned<string> | undefined,
  schemas: SchemaRegistry,
  diagnostics: Diagnostics,
): MessageType | undefined {
  if (!name || !name.value) return undefined;
  const message = schemas.messages.get(name.value);
  if (!message) {
    diagnostics.error(
      'MAESTRO_ERR_UNKNOWN_MESSAGE',
      name.pos,
      `unknown message "${name.value}"${didYouMean(name.value, schemas.messages.keys())}`,
    );
  }
  return message;
}

function valueOf(v: Positioned<string> | string | undefined): string {
  return typeof v === 'string' ? v : (v?.value ?? '');
}

function positionOf(v: Positioned<string> | string | undefined): Pos | undefined {
  return typeof v === 'object' ? v.pos : undefined;
}

/** A `request_codec` / `response_codec` value: the codec, or an error at its position. */
export function namedCodec(
  value: Positioned<string> | undefined,
  attribute: string,
  owner: string,
  diagnostics: Diagnostics,
): Codec | undefined {
  if (!value || value.value === '') return undefined;
  const codec = codecs.get(value.value);
  if (!codec) {
    diagnostics.error(
      'MAESTRO_ERR_CODEC_UNKNOWN',
      value.pos,
      `unknown ${attribute} "${value.value}" for ${owner}${didYouMean(value.value, codecs.keys())}`,
    );
  }
  return codec;
}

/** A string of a proto service option, positioned at the service for messages. */
function protoOption(value: string | undefined, pos: Pos | undefined): Positioned<string> | undefined {
  return value && pos ? { value, pos } : undefined;
}

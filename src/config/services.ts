/**
 * Top-level blocks about upstreams and entry points: `service "pkg" "Name"`,
 * `services { select "pattern" { } }`, `discovery "name"`, `jwt "name"?` and
 * `endpoint "flow" "protocol"`.
 */
import type {
  DiscoverySpec,
  EndpointSpec,
  JwtKeySpec,
  MethodSpec,
  Positioned,
  SelectSpec,
  ServiceSpec,
} from '../spec/types.js';
import { setOwn, type HclAttribute, type HclBlock } from './ast.js';
import { buildFields } from './fields.js';
import { warnEndpointAttribute, warnEndpointBlock } from './unknown-names.js';
import {
  absolute,
  dispatch,
  firstOnly,
  inside,
  labels,
  optionsRecord,
  positioned,
  stringValue,
  typeError,
  type BuildContext,
} from './read.js';
import { buildRateLimit, cacheRule, serviceTrafficRules } from './traffic.js';
import { buildBreaker, retryHandler } from './resilience.js';

type StringKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends Positioned<string> ? K : never }[keyof T];

/** Handlers that store a string attribute under a camel-cased key of `target`. */
function stringSetters<T extends object>(
  target: T,
  keys: Record<string, StringKeys<T>>,
  where: string,
  ctx: BuildContext,
): Record<string, (a: HclAttribute) => void> {
  const handlers: Record<string, (a: HclAttribute) => void> = {};
  for (const [attribute, key] of Object.entries(keys)) {
    handlers[attribute] = (a) => {
      const value = stringValue(a, where, ctx);
      if (value) (target as Record<StringKeys<T>, Positioned<string>>)[key] = value;
    };
  }
  return handlers;
}

export function buildService(block: HclBlock, ctx: BuildContext): ServiceSpec | undefined {
  const [pkg, name] = labels(block, ['package', 'name'], 2, ctx) ?? [];
  if (pkg === undefined || name === undefined) return undefined;
  const fullName = pkg ? `${pkg}.${name}` : name;
  const service: ServiceSpec = { package: pkg, name, fullName, options: {}, methods: [], pos: block.pos };
  const where = `in service "${fullName}"`;
  const traffic = serviceTrafficRules(service, where, ctx);
  const keys = {
    transport: 'transport',
    codec: 'codec',
    host: 'host',
    resolver: 'resolver',
    request_codec: 'requestCodec',
    response_codec: 'responseCodec',
    timeout: 'timeout',
  } as const;
  const sized = (a: HclAttribute): void => {
    if (typeof a.value === 'string' || typeof a.value === 'number')
      service.maxResponseSize = { value: a.value, pos: a.valuePos };
    else typeError(a, 'a size ("10MB") or a number of bytes', where, ctx);
  };
  dispatch(
    block.body,
    {
      attributes: { ...stringSetters(service, keys, where, ctx), ...traffic.attributes, max_response_size: sized },
      blocks: {
        ...traffic.blocks,
        options: (b) => (service.options = optionsRecord(b, where, ctx, 'service_options')),
        retry: retryHandler(service, where, ctx),
        breaker: (b) => {
          if (firstOnly(service.breaker, 'breaker block', b.pos, where, ctx))
            service.breaker = buildBreaker(b, where, ctx);
        },
        method: (b) => {
          const method = buildMethod(b, where, ctx);
          if (method) service.methods.push(method);
        },
      },
    },
    where,
    ctx,
  );
  return service;
}

function buildMethod(block: HclBlock, serviceWhere: string, ctx: BuildContext): MethodSpec | undefined {
  const [name] = labels(block, ['name'], 1, ctx) ?? [];
  if (name === undefined) return undefined;
  const method: MethodSpec = { name, options: {}, pos: block.pos };
  const where = inside(`method "${name}"`, serviceWhere);
  dispatch(
    block.body,
    {
      attributes: stringSetters(method, { request: 'request', response: 'response' }, where, ctx),
      blocks: {
        options: (b) => (method.options = optionsRecord(b, where, ctx, 'method_options')),
        cache: cacheRule(method, where, ctx),
        retry: retryHandler(method, where, ctx),
      },
    },
    where,
    ctx,
  );
  return method;
}

/** `services { select "pattern" { host transport codec resolver request_codec response_codec } }`. */
export function buildSelects(block: HclBlock, ctx: BuildContext): SelectSpec[] {
  const selects: SelectSpec[] = [];
  labels(block, [], 0, ctx);
  const select = (b: HclBlock): void => {
    const [pattern] = labels(b, ['pattern'], 1, ctx) ?? [];
    if (pattern === undefined) return;
    const spec: SelectSpec = { pattern, pos: b.pos };
    const where = `in select "${pattern}"`;
    const keys = {
      host: 'host',
      transport: 'transport',
      codec: 'codec',
      resolver: 'resolver',
      request_codec: 'requestCodec',
      response_codec: 'responseCodec',
    } as const;
    dispatch(b.body, { attributes: stringSetters(spec, keys, where, ctx) }, where, ctx);
    selects.push(spec);
  };
  dispatch(block.body, { blocks: { select } }, 'in services', ctx);
  return selects;
}

/** `discovery "consul" { provider address }`; the provider defaults to the label. */
export function buildDiscovery(block: HclBlock, ctx: BuildContext): DiscoverySpec | undefined {
  const [name] = labels(block, ['name'], 1, ctx) ?? [];
  if (name === undefined) return undefined;
  const spec: DiscoverySpec = { name, provider: name, pos: block.pos };
  const where = `in discovery "${name}"`;
  dispatch(
    block.body,
    {
      attributes: {
        provider: (a) => {
          const provider = stringValue(a, where, ctx);
          if (provider) spec.provider = provider.value;
        },
        ...stringSetters(spec, { address: 'address' }, where, ctx),
      },
    },
    where,
    ctx,
  );
  return spec;
}

const JWT_ATTRIBUTES = [
  'secret',
  'public_key',
  'public_key_file',
  'jwks_file',
  'jwks_url',
  'algorithms',
  'issuer',
  'audience',
];

/** `jwt "name"? { secret public_key public_key_file jwks_file jwks_url algorithms issuer audience }`. */
export function buildJwt(block: HclBlock, ctx: BuildContext): JwtKeySpec | undefined {
  const found = labels(block, ['name'], 0, ctx);
  if (!found) return undefined;
  const name = found[0] ?? '';
  const spec: JwtKeySpec = { name, attributes: {}, pos: block.pos };
  const attributes: Record<string, (a: HclAttribute) => void> = {};
  for (const key of JWT_ATTRIBUTES) attributes[key] = (a) => setOwn(spec.attributes, key, positioned(a));
  for (const key of ['public_key_file', 'jwks_file']) {
    attributes[key] = (a) => {
      const file = stringValue(a, `in jwt "${name}"`, ctx);
      if (file) spec.attributes[key] = { ...file, value: file.value && absolute(file.value, ctx) };
    };
  }
  dispatch(block.body, { attributes }, `in jwt "${name}"`, ctx);
  return spec;
}

/** `endpoint "flow" "protocol" { …options, …blocks as fields }`. */
export function buildEndpoint(block: HclBlock, ctx: BuildContext): EndpointSpec | undefined {
  const [flow, protocol] = labels(block, ['flow', 'protocol'], 2, ctx) ?? [];
  if (flow === undefined || protocol === undefined) return undefined;
  const spec: EndpointSpec = { flow, protocol, options: {}, fields: [], pos: block.pos };
  const where = `in endpoint "${flow}" "${protocol}"`;
  // Semaphore accepted any attribute and any nested block here; each protocol picks its own.
  dispatch(
    block.body,
    {
      otherAttribute: (a) => {
        setOwn(spec.options, a.name, positioned(a));
        warnEndpointAttribute(a.name, protocol, a.pos, where, ctx);
      },
      otherBlock: (b) => {
        if (b.type === 'rate_limit') {
          if (!firstOnly(spec.rateLimit, 'rate_limit block', b.pos, where, ctx)) return;
          const limit = buildRateLimit(b, where, ctx);
          if (limit) spec.rateLimit = limit;
          return;
        }
        warnEndpointBlock(b.type, b.pos, where, ctx);
        if (b.type === 'message' || b.type === 'repeated') spec.fields.push(...buildFields([b], where, ctx));
        else
          spec.fields.push({
            kind: 'message',
            name: b.labels[0] ?? b.type,
            fields: buildFields(b.body, where, ctx),
            pos: b.pos,
          });
      },
    },
    where,
    ctx,
  );
  return spec;
}

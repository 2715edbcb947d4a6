/**
 * The traffic-control blocks (issue 14), read into the Spec as written; compile checks
 * their values. Each builder reports an unknown attribute or block with its position,
 * like every other block, so `validate` catches a typo such as `request = 5`.
 *
 *   rate_limit_store { redis = "redis://…"  prefix = "maestro:" }      top level
 *   cache { max_entries = 10000  max_bytes = "64MB" }                   top level
 *   rate_limit { requests = 5  every = "1m"  burst = 10  key = "…" }    endpoint, service
 *   max_in_flight = 8   max_wait = "1s"                                  service
 *   cache { ttl = "30s"  key = "…" }                                     resource, service method
 */
import type {
  CacheSpec,
  CacheStoreSpec,
  Positioned,
  RateLimitSpec,
  RateLimitStoreSpec,
  ServiceSpec,
  HclValue,
} from '../spec/types.js';
import type { HclAttribute, HclBlock } from './ast.js';
import { dispatch, firstOnly, inside, labels, positioned, type BuildContext } from './read.js';

type Handlers<T> = Record<string, (item: T) => void>;

/** Handlers that store each attribute, positioned, under `keys[attribute]` of `target`. */
function attributes<T extends object>(target: T, keys: Record<string, keyof T>): Handlers<HclAttribute> {
  const handlers: Handlers<HclAttribute> = {};
  for (const [name, key] of Object.entries(keys)) {
    handlers[name] = (a) => ((target as Record<keyof T, Positioned<HclValue>>)[key] = positioned(a));
  }
  return handlers;
}

export function buildRateLimit(block: HclBlock, where: string, ctx: BuildContext): RateLimitSpec | undefined {
  if (!labels(block, [], 0, ctx)) return undefined;
  const spec: RateLimitSpec = { pos: block.pos };
  const keys = { requests: 'requests', every: 'every', burst: 'burst', key: 'key' } as const;
  dispatch(block.body, { attributes: attributes(spec, keys) }, inside('rate_limit', where), ctx);
  return spec;
}

export function buildCache(block: HclBlock, where: string, ctx: BuildContext): CacheSpec | undefined {
  if (!labels(block, [], 0, ctx)) return undefined;
  const spec: CacheSpec = { pos: block.pos };
  dispatch(
    block.body,
    { attributes: attributes(spec, { ttl: 'ttl', key: 'key' } as const) },
    inside('cache', where),
    ctx,
  );
  return spec;
}

export function buildRateLimitStore(block: HclBlock, ctx: BuildContext): RateLimitStoreSpec | undefined {
  if (!labels(block, [], 0, ctx)) return undefined;
  const spec: RateLimitStoreSpec = { pos: block.pos };
  dispatch(
    block.body,
    { attributes: attributes(spec, { redis: 'redis', prefix: 'prefix' } as const) },
    'in rate_limit_store',
    ctx,
  );
  return spec;
}

export function buildCacheStore(block: HclBlock, ctx: BuildContext): CacheStoreSpec | undefined {
  if (!labels(block, [], 0, ctx)) return undefined;
  const spec: CacheStoreSpec = { pos: block.pos };
  dispatch(
    block.body,
    { attributes: attributes(spec, { max_entries: 'maxEntries', max_bytes: 'maxBytes' } as const) },
    'in cache',
    ctx,
  );
  return spec;
}

/** What a `service` block accepts for traffic control, spread into its dispatch rules. */
export function serviceTrafficRules(
  service: ServiceSpec,
  where: string,
  ctx: BuildContext,
): { attributes: Handlers<HclAttribute>; blocks: Handlers<HclBlock> } {
  return {
    attributes: attributes(service, { max_in_flight: 'maxInFlight', max_wait: 'maxWait' } as const),
    blocks: {
      rate_limit: (b) => {
        if (!firstOnly(service.rateLimit, 'rate_limit block', b.pos, where, ctx)) return;
        const spec = buildRateLimit(b, where, ctx);
        if (spec) service.rateLimit = spec;
      },
    },
  };
}

/** `cache { }` once per resource or method. */
export function cacheRule(target: { cache?: CacheSpec }, where: string, ctx: BuildContext): (b: HclBlock) => void {
  return (b) => {
    if (!firstOnly(target.cache, 'cache block', b.pos, where, ctx)) return;
    const spec = buildCache(b, where, ctx);
    if (spec) target.cache = spec;
  };
}

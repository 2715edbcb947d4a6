/**
 * Where a rate-limit decision is made: in Redis when a store is configured and reachable,
 * else in this process. A request is never failed because Redis is away; the decision is
 * then counted locally (and metered as such).
 */
import { createHash } from 'node:crypto';
import type { RateLimitPlan } from '../compile/plan.js';
import type { TrafficMeters } from './meters.js';
import type { RedisStore } from './redis-store.js';
import { LocalBuckets, type Decision } from './token-bucket.js';

/** Keys longer than this (a whole token used as a key, say) are hashed: bounded store keys. */
const MAX_KEY_LENGTH = 128;

export function boundedKey(key: string): string {
  return key.length <= MAX_KEY_LENGTH ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export class Limiter {
  private readonly local = new LocalBuckets();

  constructor(
    private readonly store: RedisStore | undefined,
    private readonly meters: TrafficMeters,
  ) {}

  async take(limit: RateLimitPlan, key: string): Promise<Decision> {
    const bounded = boundedKey(key);
    if (this.store) {
      const shared = await this.store.take(limit, bounded);
      if (shared) return shared;
      this.meters.localDecision();
    }
    return this.local.take(limit, bounded);
  }
}

/**
 * Token buckets counted in this process: the store when no Redis is configured, and the
 * fallback while Redis is unreachable. The arithmetic is the Redis script's (redis.ts),
 * so a limit means the same thing whichever store decides:
 *
 *   tokens(now) = min(burst, tokens(then) + (now - then) × requests / every)
 *   a request takes one token, or is refused and told when the next one comes
 */
import { LRUCache } from 'lru-cache';
import type { RateLimitPlan } from '../compile/plan.js';

/** What one decision says: allowed or not, and the figures the RateLimit headers carry. */
export interface Decision {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Milliseconds until a refused request could pass (0 when allowed). */
  retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Most distinct keys kept per process; the least recently used beyond it start full again. */
const MAX_BUCKETS = 100_000;

/** Tokens per millisecond. */
export function refillRate(limit: RateLimitPlan): number {
  return limit.requests / limit.everyMs;
}

/** The figures of a decision, from the tokens left (before or after taking one). */
export function decide(limit: RateLimitPlan, tokens: number, allowed: boolean): Decision {
  const rate = refillRate(limit);
  return {
    allowed,
    remaining: Math.max(0, Math.floor(tokens)),
    retryAfterMs: allowed ? 0 : Math.ceil((1 - tokens) / rate),
    resetMs: Math.ceil((limit.burst - tokens) / rate),
  };
}

export class LocalBuckets {
  private readonly buckets = new LRUCache<string, Bucket>({ max: MAX_BUCKETS });

  /** Takes one token from `limit`'s bucket for `key`. */
  take(limit: RateLimitPlan, key: string, now = Date.now()): Decision {
    const id = `${limit.id}\0${key}`;
    const rate = refillRate(limit);
    let bucket = this.buckets.get(id);
    if (!bucket) {
      bucket = { tokens: limit.burst, at: now };
      this.buckets.set(id, bucket);
    } else if (now > bucket.at) {
      bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.at) * rate);
      bucket.at = now;
    }
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    return decide(limit, bucket.tokens, allowed);
  }
}

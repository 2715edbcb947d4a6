/**
 * The small parts of traffic control that need no network: the token bucket's arithmetic
 * (time passed in, no sleeping), which upstream answers may be cached and for how long,
 * and the client address read from a grpc-js peer string.
 */
import { describe, expect, it } from 'vitest';
import type { RateLimitPlan } from '../../src/compile/plan.js';
import { storableFor } from '../../src/traffic/cache.js';
import { boundedKey } from '../../src/traffic/limiter.js';
import { LocalBuckets } from '../../src/traffic/token-bucket.js';
import { peerAddress } from '../../src/transport/grpc/handler.js';

const pos = { file: 'x.hcl', line: 1, column: 1 };
const limit = (requests: number, everyMs: number, burst = requests): RateLimitPlan => ({
  requests,
  everyMs,
  burst,
  key: undefined,
  keyHeaders: [],
  keyClass: 'global',
  id: `t-${requests}-${everyMs}-${burst}`,
  pos,
});

describe('token bucket', () => {
  it('allows a burst, refuses the next with the wait for one token, and refills over time', () => {
    const buckets = new LocalBuckets();
    const plan = limit(5, 60_000);
    const t0 = 1_000_000;
    const first = [1, 2, 3, 4, 5].map(() => buckets.take(plan, 'k', t0));
    expect(first.map((d) => d.allowed)).toEqual([true, true, true, true, true]);
    expect(first.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0]);
    const refused = buckets.take(plan, 'k', t0);
    expect(refused).toEqual({ allowed: false, remaining: 0, retryAfterMs: 12_000, resetMs: 60_000 });
    expect(buckets.take(plan, 'k', t0 + 11_999).allowed).toBe(false);
    expect(buckets.take(plan, 'k', t0 + 12_000).allowed).toBe(true);
    expect(buckets.take(plan, 'k', t0 + 12_000).allowed).toBe(false);
    // Never more than the burst, however long it rested.
    const rested = [1, 2, 3, 4, 5, 6].map(() => buckets.take(plan, 'k', t0 + 3_600_000).allowed);
    expect(rested).toEqual([true, true, true, true, true, false]);
  });

  it('keeps keys and limits apart, and a burst may exceed the rate', () => {
    const buckets = new LocalBuckets();
    const plan = limit(1, 1000, 3);
    expect([1, 2, 3, 4].map(() => buckets.take(plan, 'a', 0).allowed)).toEqual([true, true, true, false]);
    expect(buckets.take(plan, 'b', 0).allowed).toBe(true);
    expect(buckets.take(limit(1, 1000), 'a', 0).allowed).toBe(true);
  });

  it('bounds long keys by hashing them', () => {
    expect(boundedKey('ann')).toBe('ann');
    const long = 'x'.repeat(500);
    expect(boundedKey(long)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(boundedKey(long)).not.toBe(boundedKey(`${long}y`));
  });
});

describe('which answers are cached', () => {
  const ok = (headers: Record<string, string> = {}, status = 200) => ({ status, headers, body: {} });
  it('keeps 2xx for the ttl, never errors or redirects', () => {
    expect(storableFor(ok(), 30_000)).toBe(30_000);
    expect(storableFor(ok({}, 204), 30_000)).toBe(30_000);
    for (const status of [301, 304, 404, 429, 500, 503]) expect(storableFor(ok({}, status), 30_000)).toBe(0);
  });

  it('honours Cache-Control: no-store, no-cache, private, max-age and s-maxage', () => {
    expect(storableFor(ok({ 'cache-control': 'no-store' }), 30_000)).toBe(0);
    expect(storableFor(ok({ 'cache-control': 'public, no-cache' }), 30_000)).toBe(0);
    expect(storableFor(ok({ 'cache-control': 'private, max-age=600' }), 30_000)).toBe(0);
    expect(storableFor(ok({ 'cache-control': 'max-age=5' }), 30_000)).toBe(5_000);
    expect(storableFor(ok({ 'cache-control': 'max-age=600' }), 30_000)).toBe(30_000);
    expect(storableFor(ok({ 'cache-control': 'max-age=0' }), 30_000)).toBe(0);
    expect(storableFor(ok({ 'cache-control': 'max-age=60, s-maxage=2' }), 30_000)).toBe(2_000);
    expect(storableFor(ok({ 'cache-control': 'public' }), 30_000)).toBe(30_000);
  });
});

describe('gRPC peer address', () => {
  it('reads the IP from the forms grpc-js gives', () => {
    expect(peerAddress('ipv4:127.0.0.1:50123')).toBe('127.0.0.1');
    expect(peerAddress('127.0.0.1:50123')).toBe('127.0.0.1');
    expect(peerAddress('ipv6:[::1]:50123')).toBe('::1');
    expect(peerAddress('[2001:db8::1]:443')).toBe('2001:db8::1');
    expect(peerAddress('unix:/tmp/sock')).toBe('unix:/tmp/sock');
  });
});

/**
 * The caller's pools: configured origins keep theirs; run-time origins (discovered
 * instances, redirect targets) share a bounded set, least recently used out first.
 */
import { describe, expect, it } from 'vitest';
import { PoolSet } from '../../src/transport/http/pools.js';

describe('PoolSet', () => {
  it('reuses pools by origin and options, and a configured pool for a run-time origin', async () => {
    const pools = new PoolSet(4);
    const fixed = pools.fixed('http://a.test', undefined);
    expect(pools.fixed('http://a.test', undefined)).toBe(fixed);
    expect(pools.transient('http://a.test', undefined)).toBe(fixed);
    expect(pools.fixed('http://a.test', { followRedirects: true, insecure: true })).not.toBe(fixed);
    await pools.close();
    expect(fixed.closed).toBe(true);
  });

  it('closes the least recently used run-time pool beyond 64', async () => {
    const pools = new PoolSet(4);
    const first = pools.transient('http://10.0.0.1:80', undefined);
    const second = pools.transient('http://10.0.0.2:80', undefined);
    for (let i = 3; i <= 64; i++) pools.transient(`http://10.0.0.${i}:80`, undefined);
    expect(pools.transient('http://10.0.0.1:80', undefined)).toBe(first); // used again: now the newest
    pools.transient('http://10.0.1.1:80', undefined); // the 65th: the oldest unused one goes
    expect(second.closed).toBe(true);
    expect(first.closed).toBe(false);
    await pools.close();
  });
});

/**
 * The HTTP caller's connection pools, one per origin and transport options (TLS trust,
 * keep-alive). Origins written in the configuration get pools for the daemon's lifetime;
 * origins met at run time (instances named by discovery, redirect targets) share a bounded
 * set, least recently used first out, so churning instances cannot grow it without end.
 */
import { Pool } from 'undici';
import type { HttpCallOptions } from '../../compile/plan.js';
import { connectOptions } from './tls-options.js';

/** Run-time origins kept at once; an evicted pool finishes its requests, then closes. */
const MAX_TRANSIENT = 64;

export class PoolSet {
  private readonly fixedPools = new Map<string, Pool>();
  private readonly transientPools = new Map<string, Pool>();

  constructor(private readonly connections: number) {}

  /** The pool of an origin written in the configuration. */
  fixed(origin: string, transport: HttpCallOptions | undefined): Pool {
    const key = poolKey(origin, transport);
    let pool = this.fixedPools.get(key);
    if (!pool) {
      pool = this.create(origin, transport);
      this.fixedPools.set(key, pool);
    }
    return pool;
  }

  /** The pool of an origin met at run time (a configured one is reused when it matches). */
  transient(origin: string, transport: HttpCallOptions | undefined): Pool {
    const key = poolKey(origin, transport);
    const fixed = this.fixedPools.get(key);
    if (fixed) return fixed;
    let pool = this.transientPools.get(key);
    if (pool) {
      this.transientPools.delete(key); // re-inserted below: most recently used last
    } else {
      pool = this.create(origin, transport);
      if (this.transientPools.size >= MAX_TRANSIENT) {
        const [oldestKey, oldest] = this.transientPools.entries().next().value as [string, Pool];
        this.transientPools.delete(oldestKey);
        void oldest.close();
      }
    }
    this.transientPools.set(key, pool);
    return pool;
  }

  async close(): Promise<void> {
    const all = [...this.fixedPools.values(), ...this.transientPools.values()];
    this.fixedPools.clear();
    this.transientPools.clear();
    await Promise.all(all.map((pool) => pool.close()));
  }

  private create(origin: string, transport: HttpCallOptions | undefined): Pool {
    return new Pool(origin, { connections: this.connections, pipelining: 1, connect: connectOptions(transport) });
  }
}

function poolKey(origin: string, transport: HttpCallOptions | undefined): string {
  if (!transport) return origin;
  return `${origin}|${transport.insecure ? 1 : 0}|${transport.caFile ?? ''}|${transport.keepAliveMs ?? ''}`;
}

/**
 * Response caching for reads. An upstream answer is kept for the resource's `ttl` — in
 * Redis when `rate_limit_store` is set and reachable (shared by every instance), else in
 * an in-memory LRU bounded by entries and bytes. Only 2xx answers are kept, and never one
 * the upstream marked `Cache-Control: no-store`, `no-cache` or `private`; its `max-age`
 * (`s-maxage` first: Maestro is a shared cache) shortens the ttl, never lengthens it.
 *
 * Identical concurrent calls are coalesced: the first starts the upstream call, the others
 * wait for its answer. The shared call is aborted only when every waiter has gone.
 *
 *   lookup ─┬─ in flight? ──▶ join ─────────────────────────────┐
 *           ├─ cached?    ──▶ hit                               ├─▶ answer
 *           └─ miss ──▶ call upstream ──▶ store if cacheable ───┘
 */
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { LRUCache } from 'lru-cache';
import type { CallResult, NodePlan, OutgoingCall, PreparedCall, TrafficPlan } from '../compile/plan.js';
import { CallError } from '../errors.js';
import { jsonText } from '../template/index.js';
import { boundedKey } from './limiter.js';
import type { CacheCounts } from './meters.js';
import type { RedisStore } from './redis-store.js';

interface Entry {
  result: CallResult;
  bytes: number;
}

/** One call in flight, shared by every identical call that arrives meanwhile. */
interface Flight {
  promise: Promise<CallResult>;
  waiters: number;
  controller: AbortController;
}

const CACHE_CONTROL_AGE = /(?:^|,)\s*(s-maxage|max-age)\s*=\s*"?(\d+)/gi;
const CACHE_CONTROL_NEVER = /(?:^|,)\s*(no-store|no-cache|private)\b/i;

/** How long to keep `result` (ms); 0: not at all. */
export function storableFor(result: CallResult, ttlMs: number): number {
  if (result.status < 200 || result.status > 299) return 0;
  const control = result.headers['cache-control'];
  if (!control) return ttlMs;
  if (CACHE_CONTROL_NEVER.test(control)) return 0;
  let maxAge: number | undefined;
  let shared: number | undefined;
  // exec with lastIndex rather than matchAll, which would clone the regex per answer.
  CACHE_CONTROL_AGE.lastIndex = 0;
  for (let match = CACHE_CONTROL_AGE.exec(control); match; match = CACHE_CONTROL_AGE.exec(control)) {
    const seconds = Number(match[2]);
    if (match[1]!.toLowerCase() === 's-maxage') shared = seconds;
    else maxAge = seconds;
  }
  const age = shared ?? maxAge;
  return age === undefined ? ttlMs : Math.min(ttlMs, age * 1000);
}

export class ResponseCache {
  private readonly memory: LRUCache<string, Entry>;
  /** Calls in flight by cache key, across every flow: the key names service and method. */
  readonly inflight = new Map<string, Flight>();

  constructor(
    plan: TrafficPlan,
    private readonly store: RedisStore | undefined,
  ) {
    this.memory = new LRUCache<string, Entry>({
      max: plan.cacheMaxEntries,
      maxSize: plan.cacheMaxBytes,
      sizeCalculation: (e) => Math.max(1, e.bytes),
    });
  }

  async get(key: string): Promise<CallResult | undefined> {
    if (this.store?.shared) {
      const stored = await this.store.get(key);
      if (stored) {
        try {
          return deserialize(stored) as CallResult;
        } catch {
          return undefined; // written by something else under our prefix: a miss
        }
      }
      if (this.store.shared) return undefined;
    }
    return this.memory.get(key)?.result;
  }

  async set(key: string, result: CallResult, ttlMs: number): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = serialize(result);
    } catch {
      return; // a value the structured clone cannot carry is simply not cached
    }
    if (this.store?.shared && (await this.store.set(key, bytes, ttlMs))) return;
    // An answer larger than the whole cache is simply not kept.
    if (bytes.byteLength <= this.memory.maxSize)
      this.memory.set(key, { result, bytes: bytes.byteLength }, { ttl: ttlMs });
  }

  /** Wraps the prepared call of a cached resource. */
  wrap(node: NodePlan, invoke: PreparedCall, counts: CacheCounts): PreparedCall {
    const plan = node.cache!;
    const call = node.call!;
    const prefix = `${call.service.fullName}.${call.method.name}`;
    const keyOf = (out: OutgoingCall): string =>
      out.cacheKey !== undefined
        ? `${prefix}:key:${boundedKey(out.cacheKey)}`
        : `${prefix}:call:${createHash('sha256')
            .update(jsonText([out.params, out.headers, out.body ?? null]))
            .digest('hex')}`;

    const start = (key: string, out: OutgoingCall): Flight => {
      const controller = new AbortController();
      const flight: Flight = { waiters: 0, controller, promise: undefined as unknown as Promise<CallResult> };
      flight.promise = invoke(out, controller.signal)
        .then(async (result) => {
          const ttl = storableFor(result, plan.ttlMs);
          if (ttl > 0) await this.set(key, result, ttl);
          return result;
        })
        .finally(() => {
          if (this.inflight.get(key) === flight) this.inflight.delete(key);
        });
      this.inflight.set(key, flight);
      return flight;
    };

    return async (out, signal) => {
      const key = keyOf(out);
      let flight = this.inflight.get(key);
      if (!flight) {
        const hit = await this.get(key);
        if (hit) {
          counts.hit.inc();
          return hit;
        }
        flight = this.inflight.get(key); // another call may have started while we looked
      }
      if (flight) counts.coalesced.inc();
      else {
        counts.miss.inc();
        flight = start(key, out);
      }
      return this.join(key, flight, signal, prefix);
    };
  }

  /** Waits for a shared call; the last waiter to leave aborts it. */
  private join(key: string, flight: Flight, signal: AbortSignal, what: string): Promise<CallResult> {
    flight.waiters++;
    return new Promise<CallResult>((resolve, reject) => {
      let settled = false;
      const leave = (): boolean => {
        if (settled) return false;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        flight.waiters--;
        return true;
      };
      const onAbort = (): void => {
        if (!leave()) return;
        if (flight.waiters === 0) {
          if (this.inflight.get(key) === flight) this.inflight.delete(key);
          flight.controller.abort();
        }
        reject(new CallError(`call to ${what} aborted: the client went away`, 499, { code: 'MAESTRO_ERR_ABORTED' }));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (result) => leave() && resolve(result),
        (error: unknown) => leave() && reject(error),
      );
    });
  }
}

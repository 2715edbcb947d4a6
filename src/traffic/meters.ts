/**
 * What traffic control reports to metrics. Series are asked for once, at start, by the
 * parts that own them (a limit, a cached resource) and only bumped per request; the
 * daemon implements this over its metric families (daemon/traffic-metrics.ts).
 */

/** One counter series. */
export interface Count {
  inc(): void;
}

export interface CacheCounts {
  hit: Count;
  miss: Count;
  /** Calls that joined an identical call already in flight instead of calling upstream. */
  coalesced: Count;
}

export interface TrafficMeters {
  /** The shared store became unreachable: limits count locally from now on. */
  fallback(): void;
  /** One decision counted in this instance because the shared store was unreachable. */
  localDecision(): void;
  /** Requests refused by an endpoint's rate limit (`endpoint` is e.g. `GET /items`). */
  limited(protocol: string, endpoint: string, keyClass: string): Count;
  /** Upstream calls refused with 503 by a service limit. */
  serviceLimited(service: string, reason: 'rate_limit' | 'max_in_flight'): Count;
  /** Cache lookups and coalesced calls of one cached resource. */
  cache(flow: string, resource: string): CacheCounts;
}

const NOTHING: Count = { inc: () => undefined };

/** Meters that count nothing (tests, or a daemon without metrics). */
export const noMeters: TrafficMeters = {
  fallback: () => undefined,
  localDecision: () => undefined,
  limited: () => NOTHING,
  serviceLimited: () => NOTHING,
  cache: () => ({ hit: NOTHING, miss: NOTHING, coalesced: NOTHING }),
};

/**
 * The traffic-control series (issue 14) over the daemon's metric families:
 *
 *   maestro_rate_limited_total{protocol,endpoint,key}       requests answered 429
 *   maestro_service_limited_total{service,reason}           upstream calls failed 503 by a service limit
 *   maestro_cache_lookups_total{flow,resource,result}       hit | miss
 *   maestro_cache_coalesced_total{flow,resource}            calls that joined one in flight
 *   maestro_rate_limit_store_fallbacks_total                times Redis became unreachable
 *   maestro_rate_limit_local_decisions_total                decisions counted locally meanwhile
 *
 * `key` is `global` or the key template as written: bounded by the config, never a client value.
 */
import type { CacheCounts, Count, TrafficMeters } from '../traffic/meters.js';
import { CounterFamily } from './metrics.js';

export class TrafficMetrics implements TrafficMeters {
  private readonly limitedFamily = new CounterFamily(
    'maestro_rate_limited_total',
    'Requests refused with 429 by an endpoint rate limit, by protocol, endpoint and key.',
  );
  private readonly serviceFamily = new CounterFamily(
    'maestro_service_limited_total',
    'Upstream calls failed with 503 by a service limit, by service and reason.',
  );
  private readonly lookups = new CounterFamily(
    'maestro_cache_lookups_total',
    'Response cache lookups, by flow, resource and result (hit or miss).',
  );
  private readonly coalescedFamily = new CounterFamily(
    'maestro_cache_coalesced_total',
    'Calls that shared an identical upstream call already in flight, by flow and resource.',
  );
  private readonly fallbacks = new CounterFamily(
    'maestro_rate_limit_store_fallbacks_total',
    'Times the shared rate_limit_store became unreachable (limits then count locally).',
  );
  private readonly local = new CounterFamily(
    'maestro_rate_limit_local_decisions_total',
    'Rate-limit decisions counted in this instance while the shared store was unreachable.',
  );
  private readonly fallbackCount = this.fallbacks.create([]);
  private readonly localCount = this.local.create([]);

  fallback(): void {
    this.fallbackCount.inc();
  }

  localDecision(): void {
    this.localCount.inc();
  }

  limited(protocol: string, endpoint: string, keyClass: string): Count {
    return this.limitedFamily.create([
      ['protocol', protocol],
      ['endpoint', endpoint],
      ['key', keyClass],
    ]);
  }

  serviceLimited(service: string, reason: 'rate_limit' | 'max_in_flight'): Count {
    return this.serviceFamily.create([
      ['service', service],
      ['reason', reason],
    ]);
  }

  cache(flow: string, resource: string): CacheCounts {
    return {
      hit: this.lookups.create([
        ['flow', flow],
        ['resource', resource],
        ['result', 'hit'],
      ]),
      miss: this.lookups.create([
        ['flow', flow],
        ['resource', resource],
        ['result', 'miss'],
      ]),
      coalesced: this.coalescedFamily.create([
        ['flow', flow],
        ['resource', resource],
      ]),
    };
  }

  /** The families in the text format, appended to the daemon's. */
  render(): string {
    const out: string[] = [];
    for (const family of [
      this.limitedFamily,
      this.serviceFamily,
      this.lookups,
      this.coalescedFamily,
      this.fallbacks,
      this.local,
    ])
      family.render(out);
    return `${out.join('\n')}\n`;
  }
}

/**
 * Process and runtime metrics (CPU, resident memory, heap, GC, event-loop lag, handles)
 * from prom-client's default collectors, in a registry of the daemon's own so that two
 * daemons in one process (tests) do not clash. They are computed when scraped; nothing
 * runs per request.
 *
 * prom-client (and the @opentelemetry/api it requires for exemplars) is imported on the
 * first scrape, not at start: a daemon nobody scrapes never loads it. Its GC and
 * event-loop-lag series therefore count from the first scrape, which Prometheus' rate()
 * and histogram_quantile() take in their stride (a series appearing starts from zero).
 */
import type { Registry } from 'prom-client';

/** Returns a function that renders the collectors in the text format, starting them on its first call. */
export function processMetrics(): () => Promise<string> {
  let registry: Promise<Registry> | undefined;
  const start = async (): Promise<Registry> => {
    // A CommonJS package: the bundle (scripts/bundle.mjs) gives its dynamic import a
    // default export only, which Node's own loader also provides.
    const { collectDefaultMetrics, Registry } = (await import('prom-client')).default;
    const created = new Registry();
    collectDefaultMetrics({ register: created, eventLoopMonitoringPrecision: 20 });
    return created;
  };
  return async () => (await (registry ??= start())).metrics();
}

/**
 * Process and runtime metrics (CPU, resident memory, heap, GC, event-loop lag, handles)
 * from prom-client's default collectors, in a registry of the daemon's own so that two
 * daemons in one process (tests) do not clash. They are computed when scraped; nothing
 * runs per request.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Starts the collectors; the returned function renders them in the text format. */
export function processMetrics(): () => Promise<string> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return () => registry.metrics();
}

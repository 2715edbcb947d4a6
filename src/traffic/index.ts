/**
 * Traffic control as the daemon wires it (issue 14): one shared store (Redis or none),
 * one limiter, one response cache; then each listener's runner gets its endpoint limits
 * and each call resource its service gate and cache, once, at start.
 *
 *   listener ─▶ limitFlows (429) ─▶ executor ─▶ cache (hit / join / miss) ─▶ service gate (503) ─▶ caller
 */
import type { Logger } from 'pino';
import type { CallPlan, EndpointPlan, Plan, PreparedCall, ServicePlan } from '../compile/plan.js';
import type { CallSite } from '../flow/bind.js';
import type { FlowRunner } from '../transport/listener.js';
import { ResponseCache } from './cache.js';
import { limitFlows } from './endpoint-limits.js';
import { Limiter } from './limiter.js';
import type { TrafficMeters } from './meters.js';
import { ServiceGate } from './service-limits.js';

export type { TrafficMeters } from './meters.js';

export interface Traffic {
  /** Connects the store (bounded wait; never fails the start). */
  start(): Promise<void>;
  /** The runner with the rate limits of `endpoints` in front. */
  limitFlows(runner: FlowRunner, endpoints: readonly EndpointPlan[]): FlowRunner;
  /** A bind wrapper: a resource's call gets its cache and its service's limits (rollbacks neither). */
  wrapCall(call: CallPlan, invoke: PreparedCall, site: CallSite): PreparedCall;
  close(): Promise<void>;
}

const DEFAULTS = { redis: undefined, prefix: 'maestro:', cacheMaxEntries: 10_000, cacheMaxBytes: 64 * 1024 * 1024 };

/** ioredis is imported only when a store is configured (most configurations have none). */
export async function createTraffic(plan: Plan, logger: Logger, meters: TrafficMeters): Promise<Traffic> {
  const config = plan.traffic ?? DEFAULTS;
  const store = config.redis
    ? new (await import('./redis-store.js')).RedisStore(config.redis, config.prefix, logger, meters)
    : undefined;
  const limiter = new Limiter(store, meters);
  const cache = new ResponseCache(config, store);
  const gates = new Map<ServicePlan, ServiceGate>();
  return {
    start: async () => store?.start(),
    limitFlows: (runner, endpoints) => limitFlows(runner, endpoints, limiter, meters),
    wrapCall(call: CallPlan, invoke: PreparedCall, { flow, node, role }: CallSite): PreparedCall {
      if (role !== 'call') return invoke;
      let wrapped = invoke;
      const limits = call.service.limits;
      if (limits) {
        let gate = gates.get(call.service);
        if (!gate) gates.set(call.service, (gate = new ServiceGate(call.service, limits, limiter, meters)));
        wrapped = gate.wrap(wrapped);
      }
      if (node.cache) wrapped = cache.wrap(node, wrapped, meters.cache(flow.name, node.name));
      return wrapped;
    },
    close: async () => store?.close(),
  };
}

/**
 * Where the daemon records its metrics, all built at start: a FlowRunner in front of
 * the executor per listener (requests, durations, flow errors), a wrapper around every
 * prepared upstream call, and the executor's rollback hooks. Series are looked up by
 * the flow object or a name, never built per request.
 */
import type { Logger } from 'pino';
import type { CallPlan, EndpointPlan, FlowPlan, PreparedCall } from '../compile/plan.js';
import { CallError } from '../errors.js';
import type { FlowRequest, FlowResult } from '../flow/types.js';
import { observeCall } from '../flow/observe-call.js';
import type { FlowRunner } from '../transport/listener.js';
import type { Counter, Histogram, Metrics, StatusCounters } from './metrics.js';

interface FlowMeter {
  requests: StatusCounters;
  duration: Histogram;
  errors: StatusCounters;
  /** The status a success is answered with (an HTTP endpoint's `status`, else 200). */
  success: number;
}

/** Flow errors are per flow, whatever the protocol: one set per flow name, shared. */
export type FlowErrorCounters = Map<string, StatusCounters>;

/**
 * Meters the flows of `endpoints` (proxies excepted: their answer is the upstream's,
 * written after the flow ran) as `protocol`; other flows pass straight through.
 */
export function meterFlows(
  runner: FlowRunner,
  metrics: Metrics,
  protocol: string,
  endpoints: readonly EndpointPlan[],
  errors: FlowErrorCounters,
): FlowRunner {
  const meters = new Map<FlowPlan, FlowMeter>();
  for (const endpoint of endpoints) {
    const flow = endpoint.flow;
    if (flow.kind === 'proxy' || meters.has(flow)) continue;
    let flowErrors = errors.get(flow.name);
    if (!flowErrors) errors.set(flow.name, (flowErrors = metrics.flowErrors.statusCounters([['flow', flow.name]])));
    meters.set(flow, {
      requests: metrics.requests.statusCounters([
        ['flow', flow.name],
        ['protocol', protocol],
      ]),
      duration: metrics.requestDuration.create([
        ['flow', flow.name],
        ['protocol', protocol],
      ]),
      errors: flowErrors,
      success: (endpoint.protocol === 'http' && endpoint.status) || 200,
    });
  }
  const record = (meter: FlowMeter, result: FlowResult, start: number): void => {
    const status = result.ok ? meter.success : result.status;
    meter.requests.inc(status);
    meter.duration.observe((performance.now() - start) / 1000);
    if (!result.ok) meter.errors.inc(status);
  };
  return {
    async run(flow: FlowPlan, request: FlowRequest): Promise<FlowResult> {
      const meter = meters.get(flow);
      if (!meter) return runner.run(flow, request);
      const start = performance.now();
      let result: FlowResult;
      try {
        result = await runner.run(flow, request);
      } catch (error) {
        // The listener answers 500 for an executor that threw.
        meter.requests.inc(500);
        meter.duration.observe((performance.now() - start) / 1000);
        meter.errors.inc(500);
        throw error;
      }
      record(meter, result, start);
      return result;
    },
    reject(flow: FlowPlan, request: FlowRequest, status: number, message: string): FlowResult {
      const meter = meters.get(flow);
      const start = performance.now();
      const result = runner.reject(flow, request, status, message);
      if (meter) record(meter, result, start);
      return result;
    },
  };
}

interface UpstreamMeter {
  calls: StatusCounters;
  duration: Histogram;
}

/** Upstream series per `service.method`, shared by every call of that method. */
export type UpstreamMeters = Map<string, UpstreamMeter>;

/**
 * Wraps a prepared call: one count and one duration per call, with the upstream's status,
 * or the CallError's (502 refused, 504 timeout, 499 aborted) when it throws.
 */
export function meterCall(
  call: CallPlan,
  invoke: PreparedCall,
  metrics: Metrics,
  meters: UpstreamMeters,
  logger?: Logger,
): PreparedCall {
  const service = call.service.fullName;
  const method = call.method.name;
  const key = `${service}\0${method}`;
  let meter = meters.get(key);
  if (!meter) {
    meter = {
      calls: metrics.upstreamCalls.statusCounters([
        ['service', service],
        ['method', method],
      ]),
      duration: metrics.upstreamDuration.create([
        ['service', service],
        ['method', method],
      ]),
    };
    meters.set(key, meter);
  }
  const { calls, duration } = meter;
  // One count and one duration per call; at debug, one line per call: what was called and
  // how it went (never headers or bodies). An observer (flow/observe-call.ts): no async
  // layer of its own.
  return observeCall(invoke, (ms, out, result, error) => {
    const status = result ? result.status : error instanceof CallError ? error.status : 500;
    calls.inc(status);
    if (logger?.isLevelEnabled('debug'))
      logger.debug({ requestId: out.requestId, service, method, status, ms: Math.round(ms) }, 'upstream call');
    duration.observe(ms / 1000);
  });
}

/**
 * The executor's rollback hooks: both outcome series of every resource with a rollback
 * exist from the start (at zero), keyed by flow then resource name.
 */
export function rollbackHooks(
  flows: readonly FlowPlan[],
  metrics: Metrics,
): {
  onRollbackDone: (flow: string, resource: string) => void;
  onRollbackFailure: (flow: string, resource: string) => void;
} {
  const byFlow = new Map<string, Map<string, { ok: Counter; failed: Counter }>>();
  for (const flow of flows) {
    for (const node of flow.nodes) {
      if (!node.rollback) continue;
      let resources = byFlow.get(flow.name);
      if (!resources) byFlow.set(flow.name, (resources = new Map()));
      const labels = [
        ['flow', flow.name],
        ['resource', node.name],
      ] as const;
      resources.set(node.name, {
        ok: metrics.rollbacks.create([...labels, ['outcome', 'ok']]),
        failed: metrics.rollbacks.create([...labels, ['outcome', 'failed']]),
      });
    }
  }
  return {
    onRollbackDone: (flow, resource) => byFlow.get(flow)?.get(resource)?.ok.inc(),
    onRollbackFailure: (flow, resource) => byFlow.get(flow)?.get(resource)?.failed.inc(),
  };
}

/**
 * One info line per flow request for listeners that write none of their own (gRPC, and
 * GraphQL, where each field of a query that runs a flow is one line).
 */
export function logFlows(runner: FlowRunner, logger: Logger, protocol: string): FlowRunner {
  const line = (flow: FlowPlan, requestId: string, status: number, start: number): void => {
    logger.info(
      { requestId, flow: flow.name, protocol, status, ms: Math.round(performance.now() - start) },
      'request completed',
    );
  };
  return {
    async run(flow, request) {
      const start = performance.now();
      try {
        const result = await runner.run(flow, request);
        line(flow, request.requestId, result.ok ? 200 : result.status, start);
        return result;
      } catch (error) {
        line(flow, request.requestId, 500, start);
        throw error;
      }
    },
    reject(flow, request, status, message) {
      line(flow, request.requestId, status, performance.now());
      return runner.reject(flow, request, status, message);
    },
  };
}

/** Proxy answers by flow and status, with their duration: the listener's onProxyAnswer. */
export function meterProxies(
  flows: readonly FlowPlan[],
  metrics: Metrics,
): (flow: string, status: number, seconds: number) => void {
  const meters = new Map<string, { requests: StatusCounters; duration: Histogram }>();
  for (const flow of flows) {
    if (flow.kind !== 'proxy') continue;
    meters.set(flow.name, {
      requests: metrics.proxyRequests.statusCounters([['flow', flow.name]]),
      duration: metrics.proxyDuration.create([['flow', flow.name]]),
    });
  }
  return (flow, status, seconds) => {
    const meter = meters.get(flow);
    if (!meter) return;
    meter.requests.inc(status);
    meter.duration.observe(seconds);
  };
}

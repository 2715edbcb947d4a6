/**
 * Wires a compiled plan to callers and listeners, and owns the lifecycle: start, and a
 * graceful stop that stops accepting, lets in-flight flows finish, waits for pending
 * rollbacks, then closes the upstream pools — each wait bounded (shutdown.ts).
 */
import type { Logger } from 'pino';
import type { Plan } from '../compile/plan.js';
import { ConfigError } from '../errors.js';
import { Executor } from '../flow/executor.js';
import type { Caller } from '../transport/caller.js';
import { createHttpCaller } from '../transport/http/caller.js';
import { createHttpListener } from '../transport/http/listener.js';
import { createGrpcCaller } from '../transport/grpc/caller.js';
import { createGrpcListener } from '../transport/grpc/listener.js';
import { createGraphqlListener } from '../transport/graphql/listener.js';
import type { Listener } from '../transport/listener.js';
import { meterCall, meterFlows, rollbackHooks, type FlowErrorCounters, type UpstreamMeters } from './instrument.js';
import { loadPlan, type LoadPlanOptions } from './load.js';
import { createMetricsListener } from './metrics-listener.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { DEFAULT_ROLLBACK_TIMEOUT_MS, DEFAULT_SHUTDOWN_TIMEOUT_MS, Shutdown } from './shutdown.js';

export interface DaemonOptions extends LoadPlanOptions {
  /** Listener addresses from flags; they override the files. */
  http?: string;
  grpc?: string;
  graphql?: string;
  /** Prometheus listener address (overrides `prometheus { address }`). */
  metrics?: string;
  logLevel?: string;
  logger?: Logger;
  /** How long SIGTERM waits for in-flight flows before aborting them (default 30 s). */
  shutdownTimeoutMs?: number;
  /** How long it then waits for pending rollbacks (default 10 s). */
  rollbackTimeoutMs?: number;
}

export interface Daemon {
  readonly plan: Plan;
  readonly logger: Logger;
  /** Bound addresses by listener name (`http` → `127.0.0.1:8080`). */
  readonly addresses: Record<string, string>;
  close(): Promise<void>;
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { plan, diagnostics } = await loadPlan(options);
  const configured = (options.logLevel || plan?.logLevel || 'info').toLowerCase();
  const level = LEVELS.has(configured) ? configured : 'info';
  const logger = options.logger ?? createLogger(level);
  for (const warning of diagnostics.warnings) logger.warn(`${warning.pos.file}:${warning.pos.line}: ${warning.message}`);
  if (!plan) throw new ConfigError(diagnostics.items);

  const metrics = new Metrics();
  const render = () => metrics.render();
  const executor = new Executor({ logger, ...rollbackHooks(plan.flows, metrics) });
  const callers = new Map<string, Caller>([['http', createHttpCaller({ logger })], ['grpc', createGrpcCaller({ logger })]]);
  bindCallers(plan, callers, logger, metrics);
  // Bounded shutdown (shutdown.ts): flows are tracked through the runner, rollback calls here.
  const shutdown = new Shutdown(logger);
  trackRollbacks(plan, shutdown);
  const tracked = shutdown.track(executor);
  const flowErrors: FlowErrorCounters = new Map();

  const listeners: Array<[string, Listener]> = [];
  const httpEndpoints = plan.endpoints.filter((e) => e.protocol === 'http');
  const httpAddress = options.http ?? plan.listeners.http?.address ?? (httpEndpoints.length > 0 ? ':8080' : undefined);
  let ready = false;
  if (httpAddress !== undefined) {
    const config = { origin: [], certFile: undefined, keyFile: undefined, readTimeoutMs: undefined, writeTimeoutMs: undefined, bodyLimit: undefined, ...plan.listeners.http, address: httpAddress };
    const runner = meterFlows(tracked, metrics, 'http', httpEndpoints, flowErrors);
    listeners.push(['http', createHttpListener({ config, endpoints: httpEndpoints, executor: runner, logger, ready: () => ready, metrics: render })]);
  }
  const grpcEndpoints = plan.endpoints.filter((e) => e.protocol === 'grpc');
  if (grpcEndpoints.length > 0) {
    const address = options.grpc ?? plan.listeners.grpc?.address ?? ':50051';
    listeners.push(['grpc', createGrpcListener({ address, endpoints: grpcEndpoints, plan, executor: meterFlows(tracked, metrics, 'grpc', grpcEndpoints, flowErrors), logger })]);
  }
  const graphqlEndpoints = plan.endpoints.filter((e) => e.protocol === 'graphql');
  if (graphqlEndpoints.length > 0) {
    const address = options.graphql ?? plan.listeners.graphql?.address ?? ':9090';
    listeners.push(['graphql', createGraphqlListener({ address, endpoints: graphqlEndpoints, executor: meterFlows(tracked, metrics, 'graphql', graphqlEndpoints, flowErrors), logger })]);
  }
  const metricsAddress = options.metrics ?? plan.listeners.prometheus?.address;
  if (metricsAddress !== undefined) listeners.push(['prometheus', createMetricsListener(metricsAddress, render)]);

  const addresses: Record<string, string> = {};
  try {
    for (const [name, listener] of listeners) addresses[name] = await listener.listen();
  } catch (error) {
    await Promise.allSettled(listeners.map(([, l]) => l.close()));
    throw error;
  }
  ready = true;
  logger.info({ addresses, flows: plan.flows.length, endpoints: plan.endpoints.length }, 'maestro is serving');

  let closing: Promise<void> | undefined;
  return {
    plan,
    logger,
    addresses,
    close() {
      closing ??= (async () => {
        ready = false;
        const listenersClosed = Promise.allSettled(listeners.map(([, l]) => l.close()));
        const graceMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
        if (!(await shutdown.waitForFlows(listenersClosed, graceMs))) await shutdown.abortFlows(graceMs);
        await shutdown.boundRollbacks(() => executor.drain(), options.rollbackTimeoutMs ?? DEFAULT_ROLLBACK_TIMEOUT_MS);
        await Promise.allSettled([...callers.values()].map((c) => c.close()));
        const cutShort = shutdown.summary();
        if (cutShort === 'maestro stopped') logger.info(cutShort);
        else logger.warn({ cutShort: shutdown.cutShort }, cutShort);
      })();
      return closing;
    },
  };
}

/** Prepares every call of the plan on its transport's caller, once, metered. */
function bindCallers(plan: Plan, callers: Map<string, Caller>, logger: Logger, metrics: Metrics): void {
  const unsupported = new Set<string>();
  const meters: UpstreamMeters = new Map();
  for (const flow of plan.flows) {
    for (const node of flow.nodes) {
      for (const call of [node.call, node.rollback]) {
        if (!call) continue;
        const caller = callers.get(call.service.transport);
        if (caller) call.invoke = meterCall(call, caller.prepare(call), metrics, meters);
        else unsupported.add(`${call.service.fullName} (${call.service.transport})`);
      }
    }
  }
  for (const name of unsupported) logger.warn(`service ${name}: this transport is not served yet; calls to it fail with 501`);
}

/** Wraps every bound rollback call so that the shutdown's rollback bound can abort it. */
function trackRollbacks(plan: Plan, shutdown: Shutdown): void {
  for (const flow of plan.flows) {
    for (const node of flow.nodes) {
      const rollback = node.rollback;
      if (rollback?.invoke) rollback.invoke = shutdown.trackRollback(flow.name, node.name, rollback.invoke);
    }
  }
}

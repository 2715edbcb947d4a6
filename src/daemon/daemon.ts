/**
 * Wires a compiled plan to callers and listeners, and owns the lifecycle: start, and a
 * graceful stop that stops accepting, lets in-flight flows finish, waits for pending
 * rollbacks, then closes the upstream pools — each wait bounded (shutdown.ts).
 */
import type { Logger } from 'pino';
import type { Plan } from '../compile/plan.js';
import { listenAddress } from '../compile/index.js';
import type { ListenAddress } from '../compile/plan.js';
import { ConfigError, type Diagnostics } from '../errors.js';
import { bind } from '../flow/bind.js';
import { Executor } from '../flow/executor.js';
import { createDiscovery } from '../discovery/resolver.js';
import type { Listener } from '../transport/listener.js';
import { meterCall, meterFlows, rollbackHooks, type FlowErrorCounters, type UpstreamMeters } from './instrument.js';
import { loadPlan, type LoadPlanOptions } from './load.js';
import { createMetricsListener } from './metrics-listener.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { createTraffic } from '../traffic/index.js';
import { TrafficMetrics } from './traffic-metrics.js';
import { FlowStats } from './flow-stats.js';
import { createFlowsPage, FIGURES_PATH, FLOWS_PATH } from './flows-page.js';
import { Breakers, withPolicies } from '../resilience/policies.js';
import { openJournal, resilienceGauges } from './resilience.js';
import { loadCallers } from './transports.js';
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
  /** `--journal`: memory, sqlite:PATH or a postgres:// URL (overrides journal { }). */
  journal?: string;
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
  const { plan, spec, diagnostics } = await loadPlan(options);
  const flags = flagAddresses(options, diagnostics);
  const configured = (options.logLevel || plan?.logLevel || 'info').toLowerCase();
  const level = LEVELS.has(configured) ? configured : 'info';
  const logger = options.logger ?? createLogger(level);
  for (const warning of diagnostics.warnings) logger.warn(`${warning.pos.file}:${warning.pos.line}: ${warning.message}`);
  if (!plan || !flags) throw new ConfigError(diagnostics.items);

  const metrics = new Metrics();
  const trafficMetrics = new TrafficMetrics();
  const render = () => metrics.render() + trafficMetrics.render();
  const hooks = rollbackHooks(plan.flows, metrics);
  // One set of discovery resolvers for calls and proxy forwards; the callers close it.
  const discovery = createDiscovery({ logger });
  const callers = await loadCallers(plan, logger, discovery);
  const meters: UpstreamMeters = new Map();
  // Retries and circuit breakers (issue 10), around each attempt's metered call.
  const breakers = new Breakers(logger);
  // Rate limits, service limits and response caches (issue 14), around the bound calls.
  const traffic = createTraffic(plan, logger, trafficMetrics);
  // Per-resource figures and the /flows page (#15). Served on the HTTP and metrics
  // listeners for now; to be mounted on the admin listener once it exists.
  const flowStats = new FlowStats();
  flowStats.instrument(plan);
  // Server-streaming calls of stream flows (#15): their own caller, see flow/stream.ts.
  const streamCaller = plan.flows.some((f) => f.stream) ? (await import('../transport/grpc/stream-caller.js')).createGrpcStreamCaller() : undefined;
  // Bounded shutdown (shutdown.ts, #8): flows are tracked through the runner, rollback
  // calls by the outermost bind wrapper, so the rollback bound can abort them.
  const shutdown = new Shutdown(logger);
  const runnable = bind(plan, callers, {
    wrap: [
      (call, invoke) => withPolicies(call, meterCall(call, invoke, metrics, meters), breakers),
      traffic.wrapCall,
      flowStats.wrapCall,
      shutdown.wrapCall,
    ],
    ...(streamCaller ? { streams: streamCaller } : {}),
  });
  for (const name of runnable.unsupported) logger.warn(`service ${name}: this transport is not served yet; calls to it fail with 501`);
  const journaling = await openJournal(plan, runnable, options.journal, options.cwd ?? process.cwd(), logger, { logger, ...hooks });
  resilienceGauges(metrics, journaling.journal, breakers);
  await traffic.start();
  const executor = new Executor({ logger, plan: runnable, ...hooks, journal: journaling.journal });
  const tracked = shutdown.track(executor);
  const flowsPage = createFlowsPage(plan, spec, flowStats);
  const flowErrors: FlowErrorCounters = new Map();

  const listeners: Array<[string, Listener]> = [];
  const httpEndpoints = plan.endpoints.filter((e) => e.protocol === 'http');
  const httpAddress = flags.http ?? plan.listeners.http?.address ?? (httpEndpoints.length > 0 ? DEFAULTS.http : undefined);
  let ready = false;
  if (httpAddress !== undefined) {
    const config = { origin: [], tls: undefined, readTimeoutMs: undefined, writeTimeoutMs: undefined, bodyLimit: undefined, ...plan.listeners.http, address: httpAddress };
    const runner = traffic.limitFlows(meterFlows(tracked, metrics, 'http', httpEndpoints, flowErrors), httpEndpoints);
    // Listener modules are imported only when a listener is configured (start-up, memory).
    const { createHttpListener } = await import('../transport/http/listener.js');
    listeners.push(['http', createHttpListener({ config, endpoints: httpEndpoints, executor: runner, logger, ready: () => ready, metrics: render, pages: flowsPage, pagePaths: [FLOWS_PATH, FIGURES_PATH], discovery })]);
  }
  const grpcEndpoints = plan.endpoints.filter((e) => e.protocol === 'grpc');
  if (grpcEndpoints.length > 0) {
    const address = flags.grpc ?? plan.listeners.grpc?.address ?? DEFAULTS.grpc;
    const { createGrpcListener } = await import('../transport/grpc/listener.js');
    listeners.push(['grpc', createGrpcListener({ address, endpoints: grpcEndpoints, plan, executor: traffic.limitFlows(meterFlows(tracked, metrics, 'grpc', grpcEndpoints, flowErrors), grpcEndpoints), logger })]);
  }
  const graphqlEndpoints = plan.endpoints.filter((e) => e.protocol === 'graphql');
  if (graphqlEndpoints.length > 0) {
    const address = flags.graphql ?? plan.listeners.graphql?.address ?? DEFAULTS.graphql;
    const { createGraphqlListener } = await import('../transport/graphql/listener.js');
    listeners.push(['graphql', createGraphqlListener({ address, endpoints: graphqlEndpoints, executor: traffic.limitFlows(meterFlows(tracked, metrics, 'graphql', graphqlEndpoints, flowErrors), graphqlEndpoints), logger })]);
  }
  const metricsAddress = flags.metrics ?? plan.listeners.prometheus?.address;
  if (metricsAddress !== undefined) listeners.push(['prometheus', createMetricsListener(metricsAddress, render, flowsPage)]);

  const addresses: Record<string, string> = {};
  try {
    for (const [name, listener] of listeners) addresses[name] = await listener.listen();
  } catch (error) {
    await Promise.allSettled(listeners.map(([, l]) => l.close()));
    await traffic.close();
    await journaling.close();
    throw error;
  }
  journaling.start();
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
        // After the rollbacks: what is still open stays in the journal for the next start.
        await journaling.close().catch((error: unknown) => logger.error({ err: error }, 'journal did not close cleanly'));
        await Promise.allSettled([...callers.values(), ...(streamCaller ? [streamCaller] : [])].map((c) => c.close()));
        await traffic.close();
        const cutShort = shutdown.summary();
        if (cutShort === 'maestro stopped') logger.info(cutShort);
        else logger.warn({ cutShort: shutdown.cutShort }, cutShort);
      })();
      return closing;
    },
  };
}

const DEFAULTS = {
  http: { text: ':8080', host: '0.0.0.0', port: 8080 },
  grpc: { text: ':50051', host: '0.0.0.0', port: 50051 },
  graphql: { text: ':9090', host: '0.0.0.0', port: 9090 },
} as const satisfies Record<string, ListenAddress>;

type FlagAddresses = Partial<Record<'http' | 'grpc' | 'graphql' | 'metrics', ListenAddress>>;

/** Listener addresses given as flags, parsed like the files' (an error names the flag). */
function flagAddresses(options: DaemonOptions, diagnostics: Diagnostics): FlagAddresses | undefined {
  const out: FlagAddresses = {};
  let ok = true;
  for (const name of ['http', 'grpc', 'graphql', 'metrics'] as const) {
    const value = options[name];
    if (value === undefined) continue;
    const address = listenAddress({ value, pos: { file: `--${name}`, line: 0, column: 0 } }, diagnostics);
    if (address) out[name] = address;
    else ok = false;
  }
  return ok ? out : undefined;
}


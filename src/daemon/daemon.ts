/**
 * Wires a compiled plan to callers and listeners, and owns the lifecycle: start, reload
 * (reload.ts: a new configuration compiled beside the running one, then swapped in), and
 * a graceful stop that stops accepting, lets in-flight flows finish, waits for pending
 * rollbacks, closes the journal, then closes the upstream pools.
 *
 * What belongs to the process, not to one configuration: metrics, callers and their
 * pools (imported when a configuration first needs them), discovery resolvers, circuit
 * breakers, the rollback journal and its recovery, tracing, the admin and metrics
 * listeners. Everything else is per generation (generation.ts).
 */
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { Logger } from 'pino';
import type { ListenAddress, Plan } from '../compile/plan.js';
import { listenAddress } from '../compile/index.js';
import { ConfigError, type Diagnostics } from '../errors.js';
import { createDiscovery } from '../discovery/resolver.js';
import type { StreamBinder } from '../flow/bind.js';
import { journalPlan } from '../journal/open.js';
import { Breakers } from '../resilience/policies.js';
import type { Caller } from '../transport/caller.js';
import type { Listener } from '../transport/listener.js';
import { createAdminListener, type AdminRoute } from './admin.js';
import { FIGURES_PATH, FLOWS_PATH, type PageHandler } from './flows-page.js';
import type { FlowErrorCounters } from './instrument.js';
import { loadPlan, type LoadPlanOptions } from './load.js';
import { createLogger } from './logger.js';
import { createMetricsListener, servePage } from './metrics-listener.js';
import { Metrics } from './metrics.js';
import { processMetrics } from './process-metrics.js';
import { Runtime, type LoadedFile, type ReloadRecord } from './reload.js';
import { openJournal, resilienceGauges } from './resilience.js';
import { tracingWanted } from './telemetry.js';
import type { Tracing } from './tracing.js';
import { TrafficMetrics } from './traffic-metrics.js';
import { loadCallers } from './transports.js';
import { DEFAULT_ROLLBACK_TIMEOUT_MS, DEFAULT_SHUTDOWN_TIMEOUT_MS, Shutdown } from './shutdown.js';
import type { ConfigWatcher } from './watch.js';

export interface DaemonOptions extends LoadPlanOptions {
  /** Listener addresses from flags; they override the files. */
  http?: string;
  grpc?: string;
  graphql?: string;
  /** Prometheus listener address (overrides `prometheus { address }`). */
  metrics?: string;
  /** Admin listener address (overrides `admin { address }`). */
  admin?: string;
  /** Extra routes on the admin listener (GET only), beside /flows which is always there. */
  adminRoutes?: AdminRoute[];
  /** Reload when a file the configuration read changes (debounced). */
  watch?: boolean;
  logLevel?: string;
  logger?: Logger;
  /** Tracing set up by the caller (tests: an in-memory exporter); else `telemetry`/OTEL_* decide. */
  tracing?: { exporter?: SpanExporter; serviceName?: string };
  /** `--journal`: memory, sqlite:PATH or a postgres:// URL (overrides journal { }). */
  journal?: string;
  /** How long SIGTERM waits for in-flight flows before aborting them (default 30 s). */
  shutdownTimeoutMs?: number;
  /** How long it then waits for pending rollbacks (default 10 s). */
  rollbackTimeoutMs?: number;
}

export interface Daemon {
  /** The plan serving new requests now (replaced by a reload). */
  readonly plan: Plan;
  readonly logger: Logger;
  /** Bound addresses by listener name (`http` → `127.0.0.1:8080`), kept current by reloads. */
  readonly addresses: Record<string, string>;
  /** Loads and compiles the files again and serves them if they compile; never throws. */
  reload(reason?: string): Promise<ReloadRecord>;
  /** The files the running configuration read, with their digests. */
  readonly files: readonly LoadedFile[];
  readonly history: readonly ReloadRecord[];
  close(): Promise<void>;
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { plan, spec, diagnostics } = await loadPlan(options);
  // Flags are parsed once: a reload re-reads the files, never the command line.
  const flags = flagAddresses(options, diagnostics);
  const levelOf = (p: Plan | undefined): string => {
    const configured = (options.logLevel || p?.logLevel || 'info').toLowerCase();
    return LEVELS.has(configured) ? configured : 'info';
  };
  // The SDK is imported only when tracing is on: it costs start-up time otherwise wasted.
  const otlp = plan?.telemetry?.otlp;
  const tracing: Tracing | undefined =
    plan && flags && (options.tracing || tracingWanted(options.env ?? process.env, otlp))
      ? await (await import('./tracing.js')).startTracing({ otlp, ...options.tracing })
      : undefined;
  const logger = options.logger ?? createLogger(levelOf(plan), plan?.logRedact ?? [], tracing?.mixin);
  for (const warning of diagnostics.warnings)
    logger.warn(`${warning.pos.file}:${warning.pos.line}: ${warning.message}`);
  if (!plan || !flags) throw new ConfigError(diagnostics.items);

  const metrics = new Metrics();
  metrics.addCollector(processMetrics());
  // Rate-limit, service-limit and cache series (issue 14) outlive generations, like the others.
  const trafficMetrics = new TrafficMetrics();
  const render = async (): Promise<string> => (await metrics.renderAll()) + trafficMetrics.render();
  // One set of discovery resolvers for calls and proxy forwards (#12), closed at shutdown.
  const discovery = createDiscovery({ logger });
  // Callers are imported and made the first time a configuration uses their transport
  // (#11), then shared by every generation: an unchanged target keeps its warm pool.
  const callers = new Map<string, Caller>();
  // Server-streaming calls of stream flows (#15): made when a configuration streams.
  let streamCaller: (StreamBinder & { close(): Promise<void> | void }) | undefined;
  const transports = async (
    next: Plan,
  ): Promise<{ callers: Map<string, Caller>; streams: StreamBinder | undefined }> => {
    await loadCallers(next, logger, discovery, callers);
    if (!streamCaller && next.flows.some((f) => f.stream))
      streamCaller = (await import('../transport/grpc/h2-stream-caller.js')).createH2StreamCaller();
    return { callers, streams: streamCaller };
  };
  const closeTransports = async (): Promise<void> => {
    await Promise.allSettled([...callers.values(), ...(streamCaller ? [streamCaller] : [])].map((c) => c.close()));
    discovery.close();
  };
  // Retries and circuit breakers (#10): breakers by service, kept across reloads.
  const breakers = new Breakers(logger);
  // The rollback journal belongs to the process: opened once, every generation's runs
  // record there; its recovery runs the flows of the configuration serving now.
  const journalChoice = JSON.stringify(journalPlan(plan, options.journal) ?? null);
  const journaling = await openJournal(plan, options.journal, options.cwd ?? process.cwd(), logger);
  resilienceGauges(metrics, journaling.journal, breakers);
  const flowErrors: FlowErrorCounters = new Map();
  // Bounded shutdown (#8): every generation's flows and rollback calls are tracked here,
  // so SIGTERM can cut them short after the grace period and the rollback bound.
  const shutdown = new Shutdown(logger);
  let bound = false;
  let watcher: ConfigWatcher | undefined;
  const runtime: Runtime = new Runtime(
    {
      transports,
      discovery,
      breakers,
      journal: journaling.journal,
      shutdown,
      metrics,
      trafficMetrics,
      flowErrors,
      logger,
      overrides: flags,
      ready: () => bound && runtime.serving,
      render,
      tracing,
    },
    options,
    logger,
    // A level set in the files follows reloads, unless the command line fixed it; the
    // watcher follows the files the new configuration read; recovery finds flows in it.
    (next, generation) => {
      if (!options.logger && !options.logLevel) logger.level = levelOf(next);
      watcher?.sync();
      journaling.use(generation.runnable, { logger, ...generation.rollbackHooks });
      if (JSON.stringify(journalPlan(next, options.journal) ?? null) !== journalChoice) {
        logger.warn(
          'the journal is chosen at start: the reloaded journal settings (or the first flow with rollbacks) take effect at the next restart',
        );
      }
    },
  );
  // The /flows page of whichever configuration serves now (its figures restart with it).
  const flowsPage: PageHandler = (method, path) =>
    runtime.current?.flowsPage(method, path) ?? Promise.resolve(undefined);

  const daemonListeners: Array<[string, Listener]> = [];
  try {
    await runtime.activate(plan, spec);
    const metricsAddress = flags.metrics ?? plan.listeners.prometheus?.address;
    if (metricsAddress !== undefined)
      daemonListeners.push(['prometheus', createMetricsListener(metricsAddress, render, flowsPage)]);
    const adminAddress = flags.admin ?? plan.listeners.admin?.address;
    if (adminAddress !== undefined) {
      const pageRoutes: AdminRoute[] = [FLOWS_PATH, FIGURES_PATH].map((path) => ({
        path,
        handle: (req, res) => servePage(flowsPage, req.method ?? 'GET', path, res),
      }));
      daemonListeners.push([
        'admin',
        createAdminListener({
          address: adminAddress,
          ready: () => bound && runtime.serving,
          metrics: render,
          config: () => ({
            generation: runtime.current?.id,
            files: runtime.files,
            reloads: runtime.history,
            addresses: runtime.addresses,
          }),
          routes: [...pageRoutes, ...(options.adminRoutes ?? [])],
        }),
      ]);
    }
    for (const [name, listener] of daemonListeners) runtime.addresses[name] = await listener.listen();
  } catch (error) {
    await Promise.allSettled(daemonListeners.map(([, l]) => l.close()));
    await runtime.close();
    await journaling.close().catch((err: unknown) => logger.error({ err }, 'journal did not close cleanly'));
    await closeTransports();
    await tracing?.close();
    throw error;
  }
  // Compensations a previous process left open, with the first configuration's flows.
  const first = runtime.current!;
  journaling.start(first.runnable, { logger, ...first.rollbackHooks });
  if (options.watch) {
    const { watchConfig } = await import('./watch.js');
    watcher = watchConfig(
      () => runtime.files.map((f) => f.path),
      (reason) => runtime.reload(reason),
      logger,
    );
    // Started means watching: a change made once startDaemon has returned is seen.
    await bounded(watcher.ready, 10_000).catch(() =>
      logger.warn('the file watcher is still scanning; changes made meanwhile may be missed'),
    );
  }
  bound = true;
  runtime.remember({
    at: new Date().toISOString(),
    reason: 'start',
    result: 'success',
    generation: runtime.current!.id,
  });
  logger.info(
    { addresses: runtime.addresses, flows: plan.flows.length, endpoints: plan.endpoints.length },
    'maestro is serving',
  );

  let closing: Promise<void> | undefined;
  return {
    get plan() {
      return runtime.current!.plan;
    },
    logger,
    addresses: runtime.addresses,
    reload: (reason = 'api') => runtime.reload(reason),
    get files() {
      return runtime.files;
    },
    history: runtime.history,
    close() {
      closing ??= (async () => {
        bound = false;
        await watcher?.close();
        // The admin listener stays up while traffic drains: /readyz says 503 meanwhile.
        // Listeners stop accepting; flows in flight get the grace period, then are cut
        // short; every generation's rollbacks get the rollback bound (shutdown.ts).
        const drained = runtime.close();
        const graceMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
        if (!(await shutdown.waitForFlows(Promise.resolve(), graceMs))) await shutdown.abortFlows(graceMs);
        await shutdown.boundRollbacks(() => drained, options.rollbackTimeoutMs ?? DEFAULT_ROLLBACK_TIMEOUT_MS);
        await Promise.allSettled(daemonListeners.map(([, l]) => l.close()));
        // After every generation's rollbacks: what is still open stays in the journal for the next start.
        await journaling.close().catch((err: unknown) => logger.error({ err }, 'journal did not close cleanly'));
        await closeTransports();
        if (tracing)
          await bounded(tracing.close(), 5_000).catch((error: unknown) =>
            logger.warn({ err: error }, 'exporting the last spans failed'),
          );
        const cutShort = shutdown.summary();
        if (cutShort === 'maestro stopped') logger.info(cutShort);
        else logger.warn({ cutShort: shutdown.cutShort }, cutShort);
      })();
      return closing;
    },
  };
}

/** `work`, or a rejection after `ms` (an exporter retrying an unreachable collector). */
function bounded(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export type FlagAddresses = Partial<Record<'http' | 'grpc' | 'graphql' | 'metrics' | 'admin', ListenAddress>>;

/** Listener addresses given as flags, parsed like the files' (an error names the flag). */
function flagAddresses(options: DaemonOptions, diagnostics: Diagnostics): FlagAddresses | undefined {
  const out: FlagAddresses = {};
  let ok = true;
  for (const name of ['http', 'grpc', 'graphql', 'metrics', 'admin'] as const) {
    const value = options[name];
    if (value === undefined) continue;
    const address = listenAddress({ value, pos: { file: `--${name}`, line: 0, column: 0 } }, diagnostics);
    if (address) out[name] = address;
    else ok = false;
  }
  return ok ? out : undefined;
}

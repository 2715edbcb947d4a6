/**
 * One loaded configuration, ready to serve: its plan bound to the shared callers, its
 * own executor (so its rollbacks can be awaited on their own), and, per listener, what
 * serves it without owning a port: a fastify app for HTTP and GraphQL, a route table for
 * gRPC. Slots (server-slot.ts, grpc-slot.ts) own the ports and dispatch to whichever
 * generation is current.
 *
 * A generation retires when a newer one takes over: it waits for its flows in flight,
 * then for its pending rollbacks, then closes its apps and proxy pools. Upstream pools
 * belong to the callers, shared by every generation, keyed by origin: a target that did
 * not change keeps its warm connections across a reload.
 */
import type { Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type {
  EndpointPlan,
  GraphqlEndpointPlan,
  GrpcEndpointPlan,
  HttpEndpointPlan,
  HttpListenerPlan,
  ListenAddress,
  Plan,
  TlsFiles,
} from '../compile/plan.js';
import { bind, type BindOptions, type RunnablePlan, type StreamBinder } from '../flow/bind.js';
import { Executor } from '../flow/executor.js';
import type { RollbackOptions } from '../flow/rollback.js';
import type { FlowRequest, FlowResult } from '../flow/types.js';
import type { Discovery } from '../discovery/resolver.js';
import type { Journal } from '../journal/journal.js';
import { withPolicies, type Breakers } from '../resilience/policies.js';
import type { Spec } from '../spec/types.js';
import type { Caller } from '../transport/caller.js';
import type { BuiltServer } from '../transport/http/listener.js';
import type { FlowRunner } from '../transport/listener.js';
import { createTraffic } from '../traffic/index.js';
import { FlowStats } from './flow-stats.js';
import { createFlowsPage, FIGURES_PATH, FLOWS_PATH, type PageHandler } from './flows-page.js';
import type { GrpcPart } from './grpc-slot.js';
import {
  logFlows,
  meterCall,
  meterFlows,
  meterProxies,
  rollbackHooks,
  type FlowErrorCounters,
  type UpstreamMeters,
} from './instrument.js';
import type { Metrics } from './metrics.js';
import type { Tracing } from './tracing.js';
import type { Shutdown } from './shutdown.js';
import type { TrafficMetrics } from './traffic-metrics.js';

/** Listener addresses given on the command line; they override the files. */
export interface AddressOverrides {
  http?: ListenAddress;
  grpc?: ListenAddress;
  graphql?: ListenAddress;
}

export interface GenerationContext {
  /**
   * The callers (and, when a flow streams, the stream caller) of `plan`'s transports,
   * shared by every generation: made the first time a configuration needs them.
   */
  transports(plan: Plan): Promise<{ callers: Map<string, Caller>; streams: StreamBinder | undefined }>;
  /** Consul/DNS resolvers, shared by callers and proxy forwards (#12). */
  discovery: Discovery;
  /** Circuit breakers by service (#10), kept across reloads. */
  breakers: Breakers;
  /** The process's rollback journal (#10), if any; every generation's runs record there. */
  journal: Journal | undefined;
  metrics: Metrics;
  trafficMetrics: TrafficMetrics;
  flowErrors: FlowErrorCounters;
  logger: Logger;
  overrides: AddressOverrides;
  /** /readyz on the HTTP listener. */
  ready: () => boolean;
  /** /metrics on the HTTP listener. */
  render: () => Promise<string>;
  /** Spans, when tracing is on. */
  tracing?: Tracing;
  /** Bounded shutdown (#8): tracks every generation's flows and rollback calls. */
  shutdown?: Shutdown;
}

export interface AppPart {
  address: ListenAddress;
  /** Equal keys mean a slot can be kept: the same address, TLS files and limits. */
  key: string;
  tls: TlsFiles | undefined;
  /** The never-bound server whose events the slot forwards. */
  server: Server;
  /** Counts a request dispatched here until its answer is written or it is dropped. */
  track(res: ServerResponse): void;
}

export interface Generation {
  readonly id: number;
  readonly plan: Plan;
  /** The plan bound to the callers (journal recovery runs the flows it names, #10). */
  readonly runnable: RunnablePlan;
  /** Rollback counters of this plan's flows (recovery counts its rollbacks there too). */
  readonly rollbackHooks: Pick<RollbackOptions, 'onRollbackDone' | 'onRollbackFailure'>;
  readonly executor: Executor;
  /** This configuration's /flows page (its figures start at zero with it). */
  readonly flowsPage: PageHandler;
  readonly http: AppPart | undefined;
  readonly graphql: AppPart | undefined;
  readonly grpc: GrpcPart | undefined;
  /** Flow requests running on this generation now. */
  readonly inflight: number;
  /** Waits for flows in flight and pending rollbacks, then releases what it built. */
  retire(): Promise<void>;
}

export async function buildGeneration(
  id: number,
  plan: Plan,
  spec: Spec | undefined,
  context: GenerationContext,
): Promise<Generation> {
  const { metrics, flowErrors, logger, overrides } = context;
  const tracing = context.tracing;
  // Rate limits, service gates and response caches (issue 14) belong to one configuration:
  // a reload may change them. Started here, closed when the generation retires.
  const traffic = await createTraffic(plan, logger, context.trafficMetrics);
  // Per-resource figures and the /flows page (#15), for this plan's flows.
  const flowStats = new FlowStats();
  flowStats.instrument(plan);
  const flowsPage = createFlowsPage(plan, spec, flowStats);
  const runnable = await bindPlan(
    plan,
    context,
    traffic.wrapCall,
    flowStats.wrapCall,
    ...(context.shutdown ? [context.shutdown.wrapCall] : []),
  );
  await traffic.start();
  const hooks = rollbackHooks(plan.flows, metrics);
  const executor = new Executor({
    logger,
    plan: runnable,
    ...hooks,
    journal: context.journal,
    stop: context.shutdown?.stop,
  });
  // Flows whose calls shutdown can abort after the grace period.
  const tracked: FlowRunner = context.shutdown ? context.shutdown.track(executor) : executor;
  // Outermost, so that everything a request logs runs inside its server span.
  const serve = (runner: FlowRunner, protocol: string): FlowRunner =>
    tracing ? tracing.serve(runner, protocol) : runner;

  // Requests (HTTP answers being written included) and flows running on this generation.
  let inflight = 0;
  let idle: (() => void) | undefined;
  const enter = (): void => void inflight++;
  const leave = (): void => {
    if (--inflight === 0) idle?.();
  };
  const gauges = new Map(plan.flows.map((flow) => [flow, metrics.inflight.create([['flow', flow.name]])]));
  const counted: FlowRunner = {
    async run(flow, request: FlowRequest): Promise<FlowResult> {
      enter();
      const gauge = gauges.get(flow);
      gauge?.inc();
      try {
        return await tracked.run(flow, request);
      } finally {
        gauge?.dec();
        leave();
      }
    },
    reject: (flow, request, status, message) => executor.reject(flow, request, status, message),
  };

  const track = (res: ServerResponse): void => {
    enter();
    res.once('close', leave);
  };
  const closers: Array<() => Promise<void> | void> = [];
  const closeTraffic = (): Promise<void> => traffic.close();
  let http: AppPart | undefined;
  let graphql: AppPart | undefined;
  let grpc: Generation['grpc'];
  // gRPC and GraphQL requests: span → request log line → rate limits → metrics → flow.
  // (HTTP writes its log line in the listener, after the answer.)
  const logged = (endpoints: readonly EndpointPlan[], protocol: 'grpc' | 'graphql'): FlowRunner =>
    serve(
      logFlows(
        traffic.limitFlows(meterFlows(counted, metrics, protocol, endpoints, flowErrors), endpoints),
        logger,
        protocol,
      ),
      protocol,
    );
  try {
    const httpEndpoints = plan.endpoints.filter((e): e is HttpEndpointPlan => e.protocol === 'http');
    const httpAddress =
      overrides.http ?? plan.listeners.http?.address ?? (httpEndpoints.length > 0 ? DEFAULTS.http : undefined);
    if (httpAddress !== undefined) {
      const config: HttpListenerPlan & { address: ListenAddress } = {
        origin: [],
        tls: undefined,
        readTimeoutMs: undefined,
        writeTimeoutMs: undefined,
        bodyLimit: undefined,
        ...plan.listeners.http,
        address: httpAddress,
      };
      const tls = config.tls;
      const runner = serve(
        traffic.limitFlows(meterFlows(counted, metrics, 'http', httpEndpoints, flowErrors), httpEndpoints),
        'http',
      );
      // Listener modules are imported only when a listener is configured (start-up, memory).
      const { buildServer } = await import('../transport/http/listener.js');
      const built: BuiltServer = buildServer(
        {
          config,
          endpoints: httpEndpoints,
          executor: runner,
          logger,
          ready: context.ready,
          metrics: context.render,
          onProxyAnswer: meterProxies(plan.flows, metrics),
          traceIdOf: tracing?.traceIdOf,
          pages: flowsPage,
          pagePaths: [FLOWS_PATH, FIGURES_PATH],
          discovery: context.discovery,
          stop: context.shutdown?.stop,
        },
        tls,
      );
      closers.push(async () => {
        await built.app.close();
        await built.agent?.close();
      });
      await built.app.ready();
      // The slot's server gets its timeouts at creation: any change needs a new slot.
      const key = JSON.stringify([
        httpAddress.text,
        config.readTimeoutMs,
        config.writeTimeoutMs,
        config.headerTimeoutMs,
        config.idleTimeoutMs,
        tls?.cert,
        tls?.key,
      ]);
      http = { address: httpAddress, key, tls, server: built.app.server, track };
    }
    const grpcEndpoints = plan.endpoints.filter((e): e is GrpcEndpointPlan => e.protocol === 'grpc');
    if (grpcEndpoints.length > 0) {
      const address = overrides.grpc ?? plan.listeners.grpc?.address ?? DEFAULTS.grpc;
      const runner = logged(grpcEndpoints, 'grpc');
      const { buildGrpcRoutes } = await import('./grpc-slot.js');
      const settings = plan.listeners.grpc;
      const routes = buildGrpcRoutes(plan, grpcEndpoints, runner, logger, settings?.maxMessageBytes);
      closers.push(() => routes.close());
      const { tls, maxMessageBytes, idleTimeoutMs, readTimeoutMs } = settings ?? {};
      grpc = {
        address,
        routes: routes.routes,
        tls,
        maxMessageBytes,
        idleTimeoutMs,
        readTimeoutMs,
        // The slot's server takes TLS and limits at creation: any change needs a new slot.
        key: JSON.stringify([address.text, tls?.cert, tls?.key, maxMessageBytes, idleTimeoutMs, readTimeoutMs]),
      };
    }
    const graphqlEndpoints = plan.endpoints.filter((e): e is GraphqlEndpointPlan => e.protocol === 'graphql');
    if (graphqlEndpoints.length > 0) {
      const address = overrides.graphql ?? plan.listeners.graphql?.address ?? DEFAULTS.graphql;
      const runner = logged(graphqlEndpoints, 'graphql');
      const { createGraphqlListener } = await import('../transport/graphql/listener.js');
      const listener = createGraphqlListener({ address, endpoints: graphqlEndpoints, executor: runner, logger });
      closers.push(() => listener.close());
      await listener.app.ready();
      graphql = { address, key: address.text, tls: undefined, server: listener.app.server, track };
    }
  } catch (error) {
    await Promise.allSettled(closers.map((close) => close()));
    await closeTraffic();
    throw error;
  }

  let retiring: Promise<void> | undefined;
  return {
    id,
    plan,
    runnable,
    rollbackHooks: hooks,
    executor,
    flowsPage,
    http,
    graphql,
    grpc,
    get inflight() {
      return inflight;
    },
    retire() {
      retiring ??= (async () => {
        if (inflight > 0) await new Promise<void>((resolve) => (idle = resolve));
        await executor.drain();
        await Promise.allSettled(closers.map((close) => close()));
        await closeTraffic();
      })();
      return retiring;
    },
  };
}

const DEFAULTS = {
  http: { text: ':8080', host: '0.0.0.0', port: 8080 },
  grpc: { text: ':50051', host: '0.0.0.0', port: 50051 },
  graphql: { text: ':9090', host: '0.0.0.0', port: 9090 },
} as const satisfies Record<string, ListenAddress>;

type Wrapper = NonNullable<BindOptions['wrap']>[number];

/**
 * Binds every call of the fresh plan to the shared callers, once: the one place where a
 * plan meets the transports. Each reload compiles a new frozen plan and binds it here.
 * Wrappers, innermost first: metrics (and the debug line) inside retries and the
 * service's breaker (#10: each attempt is metered), the client or rollback span, then
 * this generation's traffic control and /flows figures.
 */
export async function bindPlan(plan: Plan, context: GenerationContext, ...outer: Wrapper[]): Promise<RunnablePlan> {
  const { metrics, logger, tracing, breakers } = context;
  const meters: UpstreamMeters = new Map();
  const wrap: Wrapper[] = [
    (call, invoke) => withPolicies(call, meterCall(call, invoke, metrics, meters, logger), breakers),
  ];
  if (tracing)
    wrap.push((call, invoke, site) =>
      tracing.call(invoke, call, site.role === 'rollback' ? site.node.name : undefined),
    );
  const { callers, streams } = await context.transports(plan);
  const runnable = bind(plan, callers, { wrap: [...wrap, ...outer], ...(streams ? { streams } : {}) });
  for (const name of runnable.unsupported)
    logger.warn(`service ${name}: this transport is not served yet; calls to it fail with 501`);
  return runnable;
}

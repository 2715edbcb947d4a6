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
import type { GraphqlEndpointPlan, GrpcEndpointPlan, HttpEndpointPlan, HttpListenerPlan, Plan } from '../compile/plan.js';
import { Executor } from '../flow/executor.js';
import type { FlowRequest, FlowResult } from '../flow/types.js';
import type { Caller } from '../transport/caller.js';
import { createGraphqlListener } from '../transport/graphql/listener.js';
import { buildServer, readTls, type BuiltServer } from '../transport/http/listener.js';
import type { FlowRunner } from '../transport/listener.js';
import { buildGrpcRoutes, type GrpcRoutes } from './grpc-slot.js';
import { logFlows, meterCall, meterFlows, meterProxies, rollbackHooks, type FlowErrorCounters, type UpstreamMeters } from './instrument.js';
import type { Metrics } from './metrics.js';
import type { Tracing } from './tracing.js';

/** Listener addresses given on the command line; they override the files. */
export interface AddressOverrides {
  http?: string;
  grpc?: string;
  graphql?: string;
}

export interface GenerationContext {
  callers: Map<string, Caller>;
  metrics: Metrics;
  flowErrors: FlowErrorCounters;
  logger: Logger;
  overrides: AddressOverrides;
  /** /readyz on the HTTP listener. */
  ready: () => boolean;
  /** /metrics on the HTTP listener. */
  render: () => Promise<string>;
  /** Spans, when tracing is on. */
  tracing?: Tracing;
}

export interface AppPart {
  address: string;
  /** Equal keys mean a slot can be kept: the same address, TLS files and limits. */
  key: string;
  tls: { cert: Buffer; key: Buffer } | undefined;
  /** The never-bound server whose events the slot forwards. */
  server: Server;
  /** Counts a request dispatched here until its answer is written or it is dropped. */
  track(res: ServerResponse): void;
}

export interface Generation {
  readonly id: number;
  readonly plan: Plan;
  readonly executor: Executor;
  readonly http: AppPart | undefined;
  readonly graphql: AppPart | undefined;
  readonly grpc: { address: string; routes: GrpcRoutes } | undefined;
  /** Flow requests running on this generation now. */
  readonly inflight: number;
  /** Waits for flows in flight and pending rollbacks, then releases what it built. */
  retire(): Promise<void>;
}

export async function buildGeneration(id: number, plan: Plan, context: GenerationContext): Promise<Generation> {
  const { metrics, flowErrors, logger, overrides } = context;
  const executor = new Executor({ logger, ...rollbackHooks(plan.flows, metrics) });
  const tracing = context.tracing;
  bindPlan(plan, context.callers, logger, metrics, tracing);
  // Outermost, so that everything a request logs runs inside its server span.
  const serve = (runner: FlowRunner, protocol: string): FlowRunner => (tracing ? tracing.serve(runner, protocol) : runner);

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
        return await executor.run(flow, request);
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
  let http: AppPart | undefined;
  let graphql: AppPart | undefined;
  let grpc: Generation['grpc'];
  try {
    const httpEndpoints = plan.endpoints.filter((e): e is HttpEndpointPlan => e.protocol === 'http');
    const httpAddress = overrides.http ?? plan.listeners.http?.address ?? (httpEndpoints.length > 0 ? ':8080' : undefined);
    if (httpAddress !== undefined) {
      const config: HttpListenerPlan = { origin: [], certFile: undefined, keyFile: undefined, readTimeoutMs: undefined, writeTimeoutMs: undefined, bodyLimit: undefined, ...plan.listeners.http, address: httpAddress };
      const tls = await readTls(config);
      const runner = serve(meterFlows(counted, metrics, 'http', httpEndpoints, flowErrors), 'http');
      const built: BuiltServer = buildServer({ config, endpoints: httpEndpoints, executor: runner, logger, ready: context.ready, metrics: context.render, onProxyAnswer: meterProxies(plan.flows, metrics), traceIdOf: tracing?.traceIdOf }, tls);
      closers.push(async () => {
        await built.app.close();
        await built.agent?.close();
      });
      await built.app.ready();
      const key = JSON.stringify([httpAddress, config.certFile, config.keyFile, config.readTimeoutMs, config.writeTimeoutMs, tls?.cert.toString('base64')]);
      http = { address: httpAddress, key, tls, server: built.app.server, track };
    }
    const grpcEndpoints = plan.endpoints.filter((e): e is GrpcEndpointPlan => e.protocol === 'grpc');
    if (grpcEndpoints.length > 0) {
      const address = overrides.grpc ?? plan.listeners.grpc?.address ?? ':50051';
      grpc = { address, routes: buildGrpcRoutes(plan, grpcEndpoints, serve(logFlows(meterFlows(counted, metrics, 'grpc', grpcEndpoints, flowErrors), logger, 'grpc'), 'grpc'), logger) };
    }
    const graphqlEndpoints = plan.endpoints.filter((e): e is GraphqlEndpointPlan => e.protocol === 'graphql');
    if (graphqlEndpoints.length > 0) {
      const address = overrides.graphql ?? plan.listeners.graphql?.address ?? ':9090';
      const listener = createGraphqlListener({ address, endpoints: graphqlEndpoints, executor: serve(logFlows(meterFlows(counted, metrics, 'graphql', graphqlEndpoints, flowErrors), logger, 'graphql'), 'graphql'), logger });
      closers.push(() => listener.close());
      await listener.app.ready();
      graphql = { address, key: address, tls: undefined, server: listener.app.server, track };
    }
  } catch (error) {
    await Promise.allSettled(closers.map((close) => close()));
    throw error;
  }

  let retiring: Promise<void> | undefined;
  return {
    id,
    plan,
    executor,
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
      })();
      return retiring;
    },
  };
}

/**
 * Binds every call of the plan to its transport's caller, once, metered. The one place
 * where a plan meets the callers: each reload compiles a fresh plan and binds it here.
 */
export function bindPlan(plan: Plan, callers: Map<string, Caller>, logger: Logger, metrics: Metrics, tracing?: Tracing): void {
  const unsupported = new Set<string>();
  const meters: UpstreamMeters = new Map();
  for (const flow of plan.flows) {
    for (const node of flow.nodes) {
      for (const call of [node.call, node.rollback]) {
        if (!call) continue;
        const caller = callers.get(call.service.transport);
        if (!caller) {
          unsupported.add(`${call.service.fullName} (${call.service.transport})`);
          continue;
        }
        const metered = meterCall(call, caller.prepare(call), metrics, meters, logger);
        call.invoke = tracing ? tracing.call(metered, call, call === node.rollback ? node.name : undefined) : metered;
      }
    }
  }
  for (const name of unsupported) logger.warn(`service ${name}: this transport is not served yet; calls to it fail with 501`);
}

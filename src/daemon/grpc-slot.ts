/**
 * The gRPC counterpart of the server slot: one bound node:http2 server (transport/grpc/
 * server.ts) that looks up the current configuration's route table per call. Each
 * configuration builds its table without a socket (transport/grpc/listener.ts); a reload
 * swaps which table `current()` answers, so methods appear and disappear on the same
 * port. A call keeps the route it was dispatched to.
 */
import type { Logger } from 'pino';
import type { GrpcEndpointPlan, ListenAddress, Plan, TlsFiles } from '../compile/plan.js';
import { buildGrpcRoutes as buildRoutes } from '../transport/grpc/listener.js';
import { createGrpcServer, type GrpcRoutes } from '../transport/grpc/server.js';
import type { FlowRunner } from '../transport/listener.js';

export type { GrpcRoutes } from '../transport/grpc/server.js';

/**
 * The route table of one configuration: its flow endpoints plus server reflection, and
 * `close` for the connections its gRPC proxies relay through (closed when it retires).
 */
export function buildGrpcRoutes(
  plan: Plan,
  endpoints: GrpcEndpointPlan[],
  executor: FlowRunner,
  logger: Logger,
  maxMessageBytes?: number,
): { routes: GrpcRoutes; close(): void } {
  return buildRoutes({ plan, endpoints, executor, logger, maxMessageBytes });
}

/** What a generation serves on the gRPC port, and the settings its slot is created with. */
export interface GrpcPart {
  address: ListenAddress;
  routes: GrpcRoutes;
  /** Address, TLS and limits: a configuration that changes any of them gets a new slot. */
  key: string;
  tls: TlsFiles | undefined;
  maxMessageBytes: number | undefined;
  idleTimeoutMs: number | undefined;
  readTimeoutMs: number | undefined;
}

export interface GrpcSlot {
  readonly address: ListenAddress;
  readonly key: string;
  listen(): Promise<string>;
  /** The routes are read per call through `current`; kept for the reload sequence. */
  adopt(routes: GrpcRoutes): void;
  close(graceMs?: number): Promise<void>;
}

export function createGrpcSlot(
  part: Omit<GrpcPart, 'routes'>,
  current: () => GrpcRoutes | undefined,
  logger: Logger,
): GrpcSlot {
  const { address, tls, maxMessageBytes, idleTimeoutMs, readTimeoutMs } = part;
  const server = createGrpcServer({ address, tls, routes: current, maxMessageBytes, idleTimeoutMs, readTimeoutMs });
  return {
    address,
    key: part.key,
    listen: () => server.listen(),
    adopt(routes: GrpcRoutes): void {
      logger.debug({ address: address.text, methods: routes.size }, 'grpc methods adopted');
    },
    close: (graceMs = 10_000) => server.close(graceMs),
  };
}

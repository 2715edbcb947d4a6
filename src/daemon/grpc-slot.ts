/**
 * The gRPC counterpart of the server slot: one bound grpc-js Server whose methods look
 * up the current configuration's handler per call. Each configuration records its
 * handlers (flow endpoints and reflection) into a route table without a server; the
 * slot registers every path once with a dispatcher, and unregisters paths no
 * configuration serves any more. A call keeps the handler it was dispatched to.
 */
import {
  Server,
  ServerCredentials,
  status as Code,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { GrpcEndpointPlan, ListenAddress, Plan } from '../compile/plan.js';
import { formatBoundAddress, hostPort } from '../transport/shared/address.js';
import { registerEndpoints } from '../transport/grpc/listener.js';
import { createTargetClients } from '../transport/grpc/proxy-handler.js';
import { addReflection } from '../transport/grpc/reflection.js';
import type { FlowRunner } from '../transport/listener.js';

export interface GrpcRoute {
  handler: (...args: unknown[]) => void;
  serialize: (value: unknown) => Buffer;
  deserialize: (bytes: Buffer) => unknown;
  type: string;
}

export type GrpcRoutes = Map<string, GrpcRoute>;

/** Stands in for a grpc-js Server while a configuration's handlers are built. */
class RouteRecorder {
  readonly routes: GrpcRoutes = new Map();
  register(name: string, handler: unknown, serialize: unknown, deserialize: unknown, type: string): boolean {
    if (this.routes.has(name)) return false;
    this.routes.set(name, { handler, serialize, deserialize, type } as GrpcRoute);
    return true;
  }
  addService(service: ServiceDefinition, implementation: UntypedServiceImplementation): void {
    for (const [name, method] of Object.entries(service)) {
      const handler = implementation[name] ?? implementation[method.originalName ?? ''];
      if (!handler) continue;
      const type = method.requestStream
        ? method.responseStream
          ? 'bidi'
          : 'clientStream'
        : method.responseStream
          ? 'serverStream'
          : 'unary';
      this.register(method.path, handler, method.responseSerialize, method.requestDeserialize, type);
    }
  }
}

/**
 * The route table of one configuration: its flow endpoints plus server reflection, and
 * `close` for the clients its gRPC proxies relay through (closed when it retires).
 */
export function buildGrpcRoutes(
  plan: Plan,
  endpoints: GrpcEndpointPlan[],
  executor: FlowRunner,
  logger: Logger,
): { routes: GrpcRoutes; close(): void } {
  const recorder = new RouteRecorder();
  const targets = createTargetClients();
  const unused: ListenAddress = { text: '', host: '', port: 0 };
  const served = registerEndpoints(
    recorder as unknown as Pick<Server, 'register'>,
    { address: unused, endpoints, plan, executor, logger },
    targets.clientFor,
  );
  if (served.length > 0) addReflection(recorder as unknown as Pick<Server, 'addService'>, plan.schemas.root, served);
  return { routes: recorder.routes, close: () => targets.close() };
}

export interface GrpcSlot {
  readonly address: ListenAddress;
  readonly key: string;
  listen(): Promise<string>;
  /** Registers the paths of `routes` that are not served yet, drops those it lacks. */
  adopt(routes: GrpcRoutes): void;
  close(graceMs?: number): Promise<void>;
}

export function createGrpcSlot(
  address: ListenAddress,
  current: () => GrpcRoutes | undefined,
  logger: Logger,
): GrpcSlot {
  const server = new Server();
  const registered = new Set<string>();
  const dispatcher =
    (path: string) =>
    (...args: unknown[]): void => {
      const route = current()?.get(path);
      if (route) return route.handler(...args);
      // A call that arrived for a method the new configuration no longer serves.
      const callback = args[1];
      const error = { code: Code.UNIMPLEMENTED, details: `${path} is not served` };
      if (typeof callback === 'function') (callback as (e: unknown) => void)(error);
      else (args[0] as { emit(event: string, e: unknown): void }).emit('error', error);
    };
  const slot: GrpcSlot = {
    address,
    key: address.text,
    async listen(): Promise<string> {
      const { host } = address;
      const target = hostPort(address);
      const actual = await new Promise<number>((resolve, reject) => {
        server.bindAsync(target, ServerCredentials.createInsecure(), (error, p) =>
          error ? reject(error) : resolve(p),
        );
      });
      return formatBoundAddress({ address: host, family: host.includes(':') ? 'IPv6' : 'IPv4', port: actual });
    },
    adopt(routes: GrpcRoutes): void {
      for (const [path, route] of routes) {
        if (registered.has(path)) continue;
        server.register(path, dispatcher(path), route.serialize, route.deserialize, route.type);
        registered.add(path);
      }
      for (const path of registered) {
        if (routes.has(path)) continue;
        server.unregister(path);
        registered.delete(path);
      }
      logger.debug({ address: address.text, methods: routes.size }, 'grpc methods adopted');
    },
    close(graceMs = 10_000): Promise<void> {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
  return slot;
}

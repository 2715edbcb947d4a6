/**
 * gRPC listener on grpc-js, driven by the loaded descriptors (no generated code). Each
 * endpoint becomes one unary method `/<package>.<service>/<method>`, registered with
 * serializers prepared here, once. Server reflection describes what is served.
 *
 * Message types: when a .proto declares the served method, its request and response
 * types are the contract clients are built from, so they win; otherwise the flow's
 * input and output types are used (an untyped side is the empty message).
 */
import { Server, ServerCredentials, type Client } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { GrpcEndpointPlan, GrpcHost, Plan } from '../../compile/plan.js';
import type { MessageType } from '../../schema/types.js';
import type { ListenAddress } from '../../compile/plan.js';
import { formatBoundAddress, hostPort } from '../shared/address.js';
import type { FlowRunner, Listener } from '../listener.js';
import { createUnaryHandler } from './handler.js';
import { createServerStreamHandler } from './stream-handler.js';
import { createProxyHandler, createTargetClients } from './proxy-handler.js';
import { messageCodec } from './message.js';
import { addReflection, type ServedMethod } from './reflection.js';

export interface GrpcListenerOptions {
  /** Go listen syntax: `:50051` binds every interface, `127.0.0.1:0` a free port. */
  address: ListenAddress;
  endpoints: GrpcEndpointPlan[];
  plan: Plan;
  executor: FlowRunner;
  logger: Logger;
  /** How long close() lets calls in flight finish before cutting them (default 10 s). */
  closeGraceMs?: number;
}

// Messages are encoded and decoded in the handler, where a failure can be answered
// precisely; grpc-js only moves the bytes.
const passThrough = (value: Buffer): Buffer => value;

export function createGrpcListener(options: GrpcListenerOptions): Listener {
  const { plan, logger } = options;
  const server = new Server();
  const targets = createTargetClients();
  const served = registerEndpoints(server, options, targets.clientFor);
  if (served.length > 0) addReflection(server, plan.schemas.root, served);

  return {
    async listen(): Promise<string> {
      const { host } = options.address;
      const target = hostPort(options.address);
      const actual = await new Promise<number>((resolve, reject) => {
        server.bindAsync(target, ServerCredentials.createInsecure(), (error, p) =>
          error ? reject(error) : resolve(p),
        );
      });
      const bound = formatBoundAddress({ address: host, family: host.includes(':') ? 'IPv6' : 'IPv4', port: actual });
      logger.info({ address: bound, methods: served.map((m) => `${m.service}/${m.method}`) }, 'grpc listener ready');
      return bound;
    },
    close(): Promise<void> {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), options.closeGraceMs ?? 10_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          targets.close();
          resolve();
        });
      });
    },
  };
}

/** Registers one handler per endpoint; returns what reflection should describe. */
export function registerEndpoints(
  server: Pick<Server, 'register'>,
  options: GrpcListenerOptions,
  clientFor: (host: GrpcHost) => Client,
): ServedMethod[] {
  const { plan, executor, logger } = options;
  const served: ServedMethod[] = [];
  for (const endpoint of options.endpoints) {
    const service = endpoint.package ? `${endpoint.package}.${endpoint.service}` : endpoint.service;
    const path = `/${service}/${endpoint.method}`;
    const declared = plan.schemas.services.get(service)?.methods.get(endpoint.method);
    const streams = Boolean(endpoint.flow.stream); // compile checked the method streams too
    if (!streams && endpoint.flow.kind !== 'proxy' && declared && (declared.requestStream || declared.responseStream)) {
      logger.warn(`${path}: streaming is not served; the method answers as a unary call`);
    }
    const requestType: MessageType | undefined = declared?.request ?? endpoint.flow.input.type;
    const responseType: MessageType | undefined = declared?.response ?? endpoint.flow.output?.type;
    const handlerOptions = {
      endpoint,
      request: messageCodec(requestType),
      response: messageCodec(responseType),
      executor,
      logger,
    };
    const forward = endpoint.flow.kind === 'proxy' ? endpoint.flow.forward : undefined;
    const registered = forward
      ? // A proxy relays whatever the method is (unary, server, client or bidi streaming).
        server.register(
          path,
          createProxyHandler({
            endpoint,
            executor,
            logger,
            client: clientFor(forward.service.grpc ?? { target: forward.service.host, secure: false }),
          }),
          passThrough,
          passThrough,
          'bidi',
        )
      : streams
        ? server.register(path, createServerStreamHandler(handlerOptions), passThrough, passThrough, 'serverStream')
        : server.register(path, createUnaryHandler(handlerOptions), passThrough, passThrough, 'unary');
    if (!registered) {
      logger.warn(`${path} is served twice; flow "${endpoint.flow.name}" is not reachable over gRPC`);
      continue;
    }
    served.push({
      package: endpoint.package,
      service,
      method: endpoint.method,
      requestType: fullName(requestType),
      responseType: fullName(responseType),
    });
  }
  return served;
}

function fullName(type: MessageType | undefined): string {
  return type ? type.fullName.replace(/^\./, '') : '';
}

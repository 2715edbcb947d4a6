/**
 * What a configuration serves on the gRPC listener: one route per endpoint
 * (`/<package>.<service>/<method>`, handlers and message codecs prepared here, once) plus
 * server reflection describing them. The route table has no socket of its own: the
 * server of server.ts, held across reloads by daemon/grpc-slot.ts, dispatches to the
 * current configuration's table.
 *
 * Message types: when a .proto declares the served method, its request and response
 * types are the contract clients are built from, so they win; otherwise the flow's
 * input and output types are used (an untyped side is the empty message).
 */
import type { Logger } from 'pino';
import type { GrpcEndpointPlan, Plan } from '../../compile/plan.js';
import type { MessageType } from '../../schema/types.js';
import type { FlowRunner } from '../listener.js';
import { createUnaryHandler } from './handler.js';
import { messageCodec } from './message.js';
import { createProxyHandler, createTargetSessions } from './proxy-handler.js';
import type { ServedMethod } from './reflection.js';
import { createReflectionRoutes } from './reflection-service.js';
import { DEFAULT_MAX_MESSAGE_BYTES, type GrpcRoute, type GrpcRoutes } from './server.js';
import { createServerStreamHandler } from './stream-handler.js';

export interface GrpcRoutesOptions {
  endpoints: readonly GrpcEndpointPlan[];
  plan: Plan;
  executor: FlowRunner;
  logger: Logger;
  /** The bound on each message a proxy relays (the server bounds the others). */
  maxMessageBytes?: number;
}

/** The routes of one configuration, and `close` for the connections its gRPC proxies relay through. */
export function buildGrpcRoutes(options: GrpcRoutesOptions): { routes: GrpcRoutes; close(): void } {
  const { plan, executor, logger } = options;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const targets = createTargetSessions();
  const routes = new Map<string, GrpcRoute>();
  const served: ServedMethod[] = [];
  for (const endpoint of options.endpoints) {
    const service = endpoint.package ? `${endpoint.package}.${endpoint.service}` : endpoint.service;
    const path = `/${service}/${endpoint.method}`;
    if (routes.has(path)) {
      logger.warn(`${path} is served twice; flow "${endpoint.flow.name}" is not reachable over gRPC`);
      continue;
    }
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
    routes.set(
      path,
      forward
        ? // A proxy relays whatever the method is (unary, server, client or bidi streaming).
          createProxyHandler({
            endpoint,
            executor,
            logger,
            session: targets.sessionFor(forward.service.grpc ?? { target: forward.service.host, secure: false }),
            maxMessageBytes,
          })
        : streams
          ? createServerStreamHandler(handlerOptions)
          : createUnaryHandler(handlerOptions),
    );
    served.push({
      package: endpoint.package,
      service,
      method: endpoint.method,
      requestType: fullName(requestType),
      responseType: fullName(responseType),
    });
  }
  if (served.length > 0) {
    for (const [path, route] of createReflectionRoutes(plan.schemas.root, served, maxMessageBytes))
      if (!routes.has(path)) routes.set(path, route);
  }
  return { routes, close: () => targets.close() };
}

function fullName(type: MessageType | undefined): string {
  return type ? type.fullName.replace(/^\./, '') : '';
}

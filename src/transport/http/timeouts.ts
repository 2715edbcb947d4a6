/**
 * The listener's timeouts, handed to node:http when the server is created (set later,
 * Node keeps its own 60 s header timeout and checks every 30 s: a `read_timeout` of 10 s
 * then closed slow bodies after about 80 s).
 *
 *   connection ──headers──▶ (header_timeout, 10 s) ──body──▶ (read_timeout, 30 s, whole request)
 *              ──handler──▶ answer written (write_timeout, none by default; flows only)
 *              ──idle──▶ next request (idle_timeout, 72 s) or closed
 *
 * A request whose headers or body are late gets 408 and the connection is closed (the
 * listener's clientError handler writes it). Node checks the header and request timers
 * on an interval; it is a quarter of the shortest timer (at most 1 s), so each is
 * honoured to the second.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpListenerPlan } from '../../compile/plan.js';

export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
export const DEFAULT_READ_TIMEOUT_MS = 30_000;
/** Fastify's default: above the 60 s idle timeout of common load balancers, so they close first. */
export const DEFAULT_IDLE_TIMEOUT_MS = 72_000;

export interface ListenerTimeouts {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
  /** Deadline for a flow's answer from the moment its headers are read; 0 for none. */
  writeTimeout: number;
}

/** The timeouts of `http { }`; a listener without settings (GraphQL) passes `{}` for the defaults. */
export function listenerTimeouts(
  config: Partial<Pick<HttpListenerPlan, 'readTimeoutMs' | 'writeTimeoutMs' | 'headerTimeoutMs' | 'idleTimeoutMs'>>,
): ListenerTimeouts {
  const requestTimeout = config.readTimeoutMs || DEFAULT_READ_TIMEOUT_MS;
  // Node refuses a header timeout above the request timeout: the headers are part of it.
  const headersTimeout = Math.min(config.headerTimeoutMs || DEFAULT_HEADER_TIMEOUT_MS, requestTimeout);
  const keepAliveTimeout = config.idleTimeoutMs || DEFAULT_IDLE_TIMEOUT_MS;
  const connectionsCheckingInterval = Math.max(100, Math.min(1_000, Math.floor(headersTimeout / 4)));
  return {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout,
    connectionsCheckingInterval,
    writeTimeout: config.writeTimeoutMs ?? 0,
  };
}

/** A fastify `serverFactory` that creates the node server with the timeouts in its options. */
export function serverFactory(
  timeouts: ListenerTimeouts,
  tls: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined,
) {
  return (handler: RequestListener): Server => {
    const options: ServerOptions = {
      headersTimeout: timeouts.headersTimeout,
      requestTimeout: timeouts.requestTimeout,
      keepAliveTimeout: timeouts.keepAliveTimeout,
      connectionsCheckingInterval: timeouts.connectionsCheckingInterval,
    };
    const server = tls ? createHttpsServer({ ...options, ...tls }, handler) : createHttpServer(options, handler);
    // Fastify would set these after creation from its own defaults: keep ours.
    server.keepAliveTimeout = timeouts.keepAliveTimeout;
    server.requestTimeout = timeouts.requestTimeout;
    server.headersTimeout = timeouts.headersTimeout;
    return server;
  };
}

/**
 * An onRequest hook that closes the connection of a flow whose answer is not written
 * within `write_timeout` (Go's WriteTimeout: counted from the end of the headers). The
 * client sees the connection end, its flow's calls are aborted and their rollbacks run.
 * Only flow routes (route config `protocol: 'http'`) have it: a proxied stream may rightly
 * last longer.
 */
export function writeDeadlineHook(writeTimeoutMs: number) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if ((request.routeOptions.config as { protocol?: string } | undefined)?.protocol !== 'http') return done();
    const res: ServerResponse<IncomingMessage> = reply.raw;
    const timer = setTimeout(() => {
      if (res.writableFinished) return;
      request.log.warn({ writeTimeoutMs }, 'answer not written within write_timeout: connection closed');
      res.destroy();
    }, writeTimeoutMs);
    res.once('close', () => clearTimeout(timer));
    done();
  };
}

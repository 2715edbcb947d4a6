/**
 * The HTTP listener on fastify: one route per endpoint (flows parse their body into a
 * Buffer for our codecs; proxies never read it), websocket upgrades for proxies, CORS,
 * health probes, /metrics when the daemon hands it a renderer, and one error handler so that no input can crash the daemon or leak a
 * stack trace. Every answer carries `x-request-id`. Timeouts (timeouts.ts) and decoder
 * limits (codec/limits.ts, query.ts) bound every request.
 */
import type { Socket } from 'node:net';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import { Agent } from 'undici';
import type { HttpEndpointPlan, HttpListenerPlan } from '../../compile/plan.js';
import type { Discovery } from '../../discovery/resolver.js';
import type { FlowStop } from '../../flow/stop.js';
import type { FlowRunner, Listener } from '../listener.js';
import type { ListenAddress } from '../../compile/plan.js';
import { formatBoundAddress } from '../shared/address.js';
import { errorJson, rawHttpAnswer } from '../shared/raw-error.js';
import { requestIdOf } from '../shared/request-id.js';
import { createCorsHook } from './cors.js';
import { createFlowHandler } from './flow-route.js';
import { lazyChildLogger } from './request-logger.js';
import { createAllowedMethods } from './method-not-allowed.js';
import { ALL_METHODS, registerProxyRoute } from './proxy.js';
import { sendError } from './reply.js';
import { routePath, type RoutePath } from './routes.js';
import { createStreamHandler, createStreamUpgrades } from './stream-route.js';
import { boundedQueryParser, queryLimitHook } from './query.js';
import { listenerTimeouts, serverFactory, writeDeadlineHook } from './timeouts.js';
import { DEFAULT_LIMITS } from '../../codec/limits.js';
import { formatBytes } from './read-capped.js';
import { attachWebsocketProxy, type WebsocketRoute } from './websocket.js';

export interface HttpListenerOptions {
  /** The listener's plan, its address resolved (file, flag or default). */
  config: HttpListenerPlan & { readonly address: ListenAddress };
  endpoints: HttpEndpointPlan[];
  executor: FlowRunner;
  logger: Logger;
  /** `/readyz` answers 200 while this returns true (default: always ready). */
  ready?: () => boolean;
  /** The trace id of a request, by its header map, for its log line (when tracing is on). */
  traceIdOf?: (headers: object) => string | undefined;
  /** Called once per answered proxy request, with the status the client got (metrics). */
  onProxyAnswer?: (flow: string, status: number, seconds: number) => void;
  /** When set, GET /metrics answers its text (Prometheus format), unless an endpoint has the path. */
  metrics?: () => string | Promise<string>;
  /** Extra pages by path (the /flows page), answered on GET/HEAD unless an endpoint has the path. */
  pages?: (
    method: string,
    path: string,
  ) => Promise<{ status: number; headers: Record<string, string>; body: string } | undefined>;
  /** The paths `pages` answers. */
  pagePaths?: readonly string[];
  /** Resolvers for proxy forwards to services with `resolver = …` (shared with the caller). */
  discovery?: Discovery;
  /** Bounded shutdown's stop: each connection's client signal is linked to it (flow/stop.ts). */
  stop?: FlowStop;
}

const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

export function createHttpListener(options: HttpListenerOptions): Listener {
  let app: FastifyInstance | undefined;
  let agent: Agent | undefined;
  let closeWebsockets: (() => void) | undefined;
  let unfinished: Set<Socket> | undefined;
  return {
    async listen(): Promise<string> {
      if (app) throw new Error('the HTTP listener is already listening');
      const { host, port } = options.config.address;
      const built = buildServer(options, options.config.tls);
      ({ app, agent, closeWebsockets, unfinished } = built);
      await built.app.listen({ host, port });
      return formatBoundAddress(built.app.server.address());
    },
    async close(): Promise<void> {
      closeWebsockets?.();
      // A keep-alive connection whose request was in flight when closing began becomes
      // idle only later; Node closes idle ones once, at close(). Sweep until all are gone,
      // so shutdown does not wait for idle_timeout (shutdown.ts bounds it anyway).
      const server = app?.server;
      const sweep = server ? setInterval(() => server.closeIdleConnections(), 100) : undefined;
      const closed = app?.close();
      for (const socket of unfinished ?? []) socket.destroy();
      try {
        await closed;
      } finally {
        clearInterval(sweep);
      }
      await agent?.close();
    },
  };
}

export interface BuiltServer {
  app: FastifyInstance;
  /** The proxies' connection pools, when there are proxy endpoints. */
  agent: Agent | undefined;
  closeWebsockets: () => void;
  /** Connections whose last answer went out before their request body was all read. */
  unfinished: Set<Socket>;
}

/**
 * The fastify app of one configuration, not bound: createHttpListener listens on its
 * server; the daemon's reloadable slot forwards a bound server's events to it instead.
 */
export function buildServer(
  options: HttpListenerOptions,
  tls: { readonly cert: string; readonly key: string } | undefined,
): BuiltServer {
  const { config, endpoints, executor, logger } = options;
  const timeouts = listenerTimeouts(config);
  const bodyLimit = config.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const bodyTooLarge = `request body is larger than ${formatBytes(bodyLimit)} (limit body_limit = ${bodyLimit} in http { })`;
  const limits = config.limits ?? DEFAULT_LIMITS;
  const base = {
    loggerInstance: logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => requestIdOf(req.headers),
    // request.log is made on its first line at an enabled level (request-logger.ts).
    childLoggerFactory: lazyChildLogger,
    bodyLimit,
    // Header, request (Go's ReadTimeout) and idle timeouts go into the node server's
    // options when it is created; write_timeout is a per-answer deadline (timeouts.ts).
    serverFactory: serverFactory(timeouts, tls),
    return503OnClosing: true,
    forceCloseConnections: 'idle' as const,
    routerOptions: { maxParamLength: 2048, querystringParser: boundedQueryParser(limits.maxFields) },
    clientErrorHandler,
    // The router answers a bad `%` escape or an over-long parameter itself, in fastify's
    // shape and before any hook runs, unless handed over here.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      reply.header('x-request-id', request.id);
      return sendError(reply, error.statusCode ?? 400, error.message);
    },
  };
  const app = Fastify(base) as unknown as FastifyInstance;
  const protocol = tls ? 'https' : 'http';

  const unfinished = new Set<Socket>();
  // Callback style: an async hook costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onRequest', queryLimitHook(limits.maxFields));
  if (timeouts.writeTimeout > 0) app.addHook('onRequest', writeDeadlineHook(timeouts.writeTimeout));
  // One line per answered request under its id (request.log carries `requestId`), so the
  // instances of a chain gateway → hub can be followed by the id they share.
  // Flow and proxy routes carry `config: { flow, protocol }` (see routeConfig).
  // The line's object is built only when info is on (checked per request: a reload may
  // change the level after this app was built).
  const onProxyAnswer = options.onProxyAnswer;
  const traceIdOf = options.traceIdOf;
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.config as Partial<RouteConfig> | undefined;
    const ms = reply.elapsedTime;
    if (logger.isLevelEnabled('info')) {
      const traceId = traceIdOf?.(request.headers);
      request.log.info(
        {
          flow: route?.flow,
          protocol: route?.protocol ?? 'http',
          method: request.method,
          url: request.url,
          status: reply.statusCode,
          ms: Math.round(ms),
          traceId,
        },
        'request completed',
      );
    }
    if (onProxyAnswer && route?.protocol === 'proxy') onProxyAnswer(route.flow!, reply.statusCode, ms / 1000);
    // Answered before its body was all read (a proxied upload the upstream refused): the
    // connection can serve nothing more, yet is never idle. Shutdown closes it.
    if (!request.raw.complete) {
      const socket = request.raw.socket;
      unfinished.add(socket);
      socket.once('close', () => unfinished.delete(socket));
    }
    done();
  });
  const cors = createCorsHook(config.origin);
  if (cors) app.addHook('onRequest', cors);

  // Flow bodies stay raw bytes: our codecs decode them, typed by the flow's input.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const status =
      typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600
        ? error.statusCode
        : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return sendError(reply, 500, 'internal error');
    }
    // Name the limit, as the decoders do (codec/limits.ts).
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 413, bodyTooLarge);
    return sendError(reply, status, error.message);
  });
  const allowed = createAllowedMethods();
  app.setNotFoundHandler((request, reply) => {
    const url = request.raw.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const allow = allowed.at(path);
    if (allow.length > 0 && !allow.includes(request.method)) {
      return sendError(
        reply.header('allow', allow.join(', ')),
        405,
        `method ${request.method} is not allowed on ${path}`,
      );
    }
    return sendError(reply, 404, `no endpoint for ${request.method} ${path}`);
  });

  const served = new Set<string>();
  const websocketRoutes: WebsocketRoute[] = [];
  const streamRoutes: Array<{ endpoint: HttpEndpointPlan; route: RoutePath }> = [];
  let agent: Agent | undefined;
  for (const endpoint of endpoints) {
    const route = routePath(endpoint.route);
    served.add(endpoint.path);
    allowed.add(route, endpoint.method);
    if (endpoint.flow.kind === 'proxy') {
      // Streams may idle for long (SSE, downloads): no body timeout on forwarded answers.
      agent ??= new Agent({ connections: 128, pipelining: 1, bodyTimeout: 0 });
      const target = registerProxyRoute(app, endpoint, route, executor, agent, logger, options.discovery, options.stop);
      websocketRoutes.push({ endpoint, route, target });
    } else if (endpoint.flow.stream) {
      // A stream flow: Server-Sent Events here, a websocket on an upgrade of the same path.
      app.route({
        method: endpoint.method === '*' ? ALL_METHODS : endpoint.method,
        url: route.fastify,
        handler: createStreamHandler(endpoint, route, executor, logger, limits),
      });
      streamRoutes.push({ endpoint, route });
    } else {
      app.route({
        method: endpoint.method === '*' ? ALL_METHODS : endpoint.method,
        url: route.fastify,
        config: routeConfig(endpoint),
        handler: createFlowHandler(endpoint, route, executor, limits, options.stop),
      });
    }
  }

  if (!served.has('/healthz')) app.get('/healthz', async (_request, reply) => reply.send({ status: 'ok' }));
  if (!served.has('/readyz')) {
    app.get('/readyz', async (_request, reply) => {
      const ready = options.ready?.() ?? true;
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable' });
    });
  }

  const metrics = options.metrics;
  if (metrics && !served.has('/metrics')) {
    app.get('/metrics', async (_request, reply) =>
      reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(await metrics()),
    );
  }

  const pages = options.pages;
  for (const path of pages ? (options.pagePaths ?? []) : []) {
    // An endpoint at or below the page's first segment keeps it (`/flows/:id` would lose `/flows/figures`).
    const root = `/${path.split('/')[1]}`;
    if ([...served].some((p) => p === root || p.startsWith(`${root}/`))) continue;
    app.get(path, async (request, reply) => {
      const answer = await pages!(request.method, path);
      if (!answer) return sendError(reply, 404, `no endpoint for GET ${path}`);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
  }

  const streams = streamRoutes.length > 0 ? createStreamUpgrades(streamRoutes, executor, logger) : undefined;
  const closeProxies = attachWebsocketProxy(app.server, {
    routes: websocketRoutes,
    executor,
    logger,
    protocol,
    other: streams?.handle,
  });
  const closeWebsockets = (): void => {
    streams?.close();
    closeProxies();
  };
  return { app, agent, closeWebsockets, unfinished };
}

/** What the request log line and the proxy metrics read from a route. */
export interface RouteConfig {
  flow: string;
  protocol: 'http' | 'proxy';
}

export function routeConfig(endpoint: HttpEndpointPlan): RouteConfig {
  return { flow: endpoint.flow.name, protocol: endpoint.flow.kind === 'proxy' ? 'proxy' : 'http' };
}

/** A request the HTTP parser rejected: a JSON 4xx on the raw socket, never a crash. */
function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = errorJson(
    status,
    status === 408 ? 'request timed out' : status === 431 ? 'request headers too large' : 'malformed HTTP request',
  );
  socket.end(rawHttpAnswer(status, body));
}

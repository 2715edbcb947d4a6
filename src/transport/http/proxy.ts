/**
 * Proxy endpoints: the flow's resources run first (they see headers and params, never
 * the body), then the request is streamed to the forward target and the answer streamed
 * back. Nothing is buffered: the route lives in its own plugin whose only content-type
 * parser leaves the body in the socket.
 *
 *   client ──req.raw──▶ agent.dispatch(body: req.raw) ──────────────────▶ target
 *   client ◀──res.writeHead / res.write(chunk)── ProxyExchange ◀── chunks ── target
 *
 * undici's `request()` wrapped every answer in a Readable that fastify then piped into the
 * response (and tracked the signal with listeners of its own); the exchange below writes
 * each chunk undici hands it into the raw response instead, pausing undici while the
 * client's socket is full.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Agent, type Dispatcher } from 'undici';
import type { HttpEndpointPlan } from '../../compile/plan.js';
import type { FlowRunner } from '../listener.js';
import { transportError } from './call-result.js';
import { clientSignal } from '../shared/client-abort.js';
import { hasEmptyParam, requestParams } from './flow-route.js';
import { copyEndToEnd, forwardRequestHeaders, rewritePath } from './forward-headers.js';
import { JSON_TYPE, sendError, sendFailure } from './reply.js';
import { errorJson } from '../shared/raw-error.js';
import { watchAbort } from '../../shared/abort-watch.js';
import type { FlowStop } from '../../flow/stop.js';
import type { RoutePath } from './routes.js';
import { hostPort, type Discovery } from '../../discovery/resolver.js';
import { connectOptions } from './tls-options.js';

/** Where a proxy forwards to, resolved once at registration. */
export interface ForwardTarget {
  origin: string;
  /** Path prefix of the forward host ('' when none). */
  prefix: string;
  authorization: string | undefined;
  /** `service` name, for messages (never the URL). */
  name: string;
  /** For a service with `resolver = …`: the origin of the instance for this request. */
  resolve?: (signal: AbortSignal) => Promise<string>;
  /** Socket options from the service's `options { }` (TLS trust, keep-alive), for websocket dials. */
  connect?: Record<string, unknown>;
}

export function forwardTarget(endpoint: HttpEndpointPlan): ForwardTarget {
  // Compile refuses a proxy on an HTTP endpoint without an HTTP forward target.
  const forward = endpoint.flow.forward!;
  const { origin, prefix, authorization } = forward.target!;
  return { origin, prefix, authorization, name: forward.service.fullName };
}

/**
 * Registers the proxy route in an encapsulated context so its body is never parsed, and
 * returns the forward target (with its resolver and socket options) for websocket upgrades.
 */
export function registerProxyRoute(
  app: FastifyInstance,
  endpoint: HttpEndpointPlan,
  route: RoutePath,
  executor: FlowRunner,
  dispatcher: Dispatcher,
  logger: Logger,
  discovery?: Discovery,
  stop?: FlowStop,
): ForwardTarget {
  const target = forwardTarget(endpoint);
  const plan = endpoint.flow.forward?.service.discovery;
  if (plan && discovery) {
    // Compile split the configured host (plan.lookup); only the instance changes per request.
    const { name, defaultPort, scheme } = plan.lookup;
    const resolver = discovery.resolver(plan, name, defaultPort, scheme);
    target.resolve = async (signal) => `${scheme}://${hostPort(await resolver.next(signal))}`;
  }
  // A forward with its own TLS trust or keep-alive gets an agent of its own.
  const http = endpoint.flow.forward?.httpOptions;
  let own: Agent | undefined;
  if (http) {
    target.connect = connectOptions(http) as Record<string, unknown> | undefined;
    own = new Agent({ connections: 128, pipelining: 1, bodyTimeout: 0, connect: connectOptions(http) });
    app.addHook('onClose', async () => own?.close());
  }
  const handler = createProxyHandler(endpoint, route, target, executor, own ?? dispatcher, logger, stop);
  const method = endpoint.method === '*' ? ALL_METHODS : endpoint.method;
  void app.register(async (child) => {
    child.removeAllContentTypeParsers();
    // Leaves the payload unread; the handler streams request.raw to the target.
    child.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    child.route({ method, url: route.fastify, handler, config: { flow: endpoint.flow.name, protocol: 'proxy' } });
  });
  return target;
}

export const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function createProxyHandler(
  endpoint: HttpEndpointPlan,
  route: RoutePath,
  target: ForwardTarget,
  executor: FlowRunner,
  dispatcher: Dispatcher,
  logger: Logger,
  stop: FlowStop | undefined,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const { flow, codec } = endpoint;
  const rewrites = flow.rewrites;
  const failed = (error: Error, requestId: string): { status: number; message: string } => {
    const failure = transportError(error, target.name, undefined, false, false);
    logger.warn({ flow: flow.name, requestId, err: error, status: failure.status }, failure.message);
    return failure;
  };

  return async function handleProxy(request, reply) {
    if (hasEmptyParam(request, route)) {
      // The body was never read: finish it so the socket can serve the 404.
      request.raw.resume();
      reply.callNotFound();
      return reply;
    }
    const signal = clientSignal(reply.raw, stop);
    const result = await executor.run(flow, {
      input: {},
      header: request.headers,
      params: requestParams(request, route.wildcard),
      requestId: request.id,
      signal,
      remoteAddress: request.ip,
      endpoint,
    });
    if (!result.ok) return sendFailure(reply, result, codec);
    if (signal.aborted) {
      // The client left while the resources ran: forwarding would be wasted work.
      reply.hijack();
      request.raw.socket.destroy();
      return reply;
    }

    const url = request.raw.url ?? '/';
    const q = url.indexOf('?');
    const path = rewritePath(q < 0 ? url : url.slice(0, q), rewrites);
    const headers = forwardRequestHeaders(request.headers, {
      remoteAddress: request.raw.socket.remoteAddress,
      protocol: request.protocol === 'https' ? 'https' : 'http',
      requestId: request.id,
      extra: result.header,
      authorization: target.authorization,
    });
    const method = request.method;
    // Any method with a body forwards it, GET included (Semaphore did); HEAD never has one.
    const withBody =
      method !== 'HEAD' &&
      (request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0);
    // A length with no body to send would make undici fail the request as truncated.
    if (!withBody) delete headers['content-length'];

    let origin = target.origin;
    if (target.resolve) {
      try {
        origin = await target.resolve(signal);
      } catch (error) {
        if (signal.aborted) return dropped(reply);
        const failure = failed(error as Error, request.id);
        return sendError(reply, failure.status, failure.message);
      }
    }
    // From here the answer is written on the raw response (ProxyExchange): fastify's
    // onResponse hooks still run when it finishes, its send path does not.
    reply.hijack();
    const exchange = new ProxyExchange(reply, method === 'HEAD', signal, failed);
    dispatcher.dispatch(
      {
        origin,
        path: target.prefix + path + (q < 0 ? '' : url.slice(q)),
        method: method as Dispatcher.HttpMethod,
        headers,
        body: withBody ? request.raw : null,
      },
      exchange,
    );
    return reply;
  };
}

/** The client is gone: nothing to answer; make sure the socket is released. */
function dropped(reply: FastifyReply): FastifyReply {
  reply.hijack();
  reply.request.raw.socket.destroy();
  return reply;
}

/**
 * One forwarded exchange on undici's `dispatch`, written straight into the client's raw
 * response: the answer's status and end-to-end headers (after those fastify's hooks set,
 * x-request-id and CORS, which the upstream's override), then each chunk as it arrives.
 * A full socket pauses the upstream until it drains. The client leaving aborts the
 * upstream; the upstream failing before its answer is a JSON 502/504, after it a cut
 * connection (the status is out already).
 */
class ProxyExchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private readonly res: ServerResponse;
  private started = false;
  private readonly unwatch: () => void;

  constructor(
    private readonly reply: FastifyReply,
    private readonly head: boolean,
    private readonly signal: AbortSignal,
    private readonly failed: (error: Error, requestId: string) => { status: number; message: string },
  ) {
    this.res = reply.raw;
    this.unwatch = watchAbort(signal, this.onClientGone);
  }

  private readonly onClientGone = (): void => {
    this.controller?.abort(new Error('the client went away'));
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) controller.abort(new Error('the client went away'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // 1xx: the final answer follows
    this.started = true;
    const out = this.reply.getHeaders() as Record<string, string | string[] | number>;
    copyEndToEnd(headers, out);
    try {
      this.res.writeHead(statusCode, out);
    } catch (error) {
      // A header Node refuses to write: the answer cannot be relayed.
      this.res.destroy();
      this.controller?.abort(error as Error);
      return;
    }
    if (this.head || statusCode === 204 || statusCode === 304) this.res.end();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.res.writableEnded) return; // HEAD, 204, 304: no body is forwarded
    if (this.res.destroyed) {
      controller.abort(new Error('the client went away'));
      return;
    }
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.unwatch();
    if (!this.res.writableEnded) this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.unwatch();
    if (this.started || this.signal.aborted || this.res.destroyed) {
      // Too late for a status, or nobody to tell: cut the connection.
      this.res.destroy();
      return;
    }
    const { status, message } = this.failed(error, this.reply.request.id);
    const body = errorJson(status, message);
    const out = this.reply.getHeaders() as Record<string, string | string[] | number>;
    out['content-type'] = JSON_TYPE;
    out['content-length'] = Buffer.byteLength(body);
    const req = this.reply.request.raw;
    if (req.complete) {
      this.res.writeHead(status, out).end(body);
      return;
    }
    // The upload was cut mid-body: the connection cannot carry another request. Closing it
    // at once, with the client's bytes still arriving, makes the kernel answer them with a
    // reset that can destroy the answer before the client reads it (the client sees EPIPE
    // instead of the 502). So, as nginx's lingering close: the answer goes out with
    // `connection: close`, our side is shut, and what the client still sends is read and
    // dropped until it stops or LINGER_MS pass.
    out.connection = 'close';
    lingerOnClose(req);
    this.res.writeHead(status, out).end(body);
  }
}

/** How long a connection whose upload was refused keeps reading (and dropping) its bytes. */
const LINGER_MS = 5_000;

function lingerOnClose(req: IncomingMessage): void {
  const socket = req.socket;
  req.unpipe();
  req.removeAllListeners('data');
  req.on('data', discard);
  req.resume();
  // Node's server calls destroySoon() once an answer marked `connection: close` is out.
  socket.destroySoon = function lingeringClose(this: Socket): void {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('end', () => {
      clearTimeout(timer);
      this.destroy();
    });
    this.once('close', () => clearTimeout(timer));
  };
}

function discard(): void {}

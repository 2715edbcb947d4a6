/**
 * Proxy endpoints: the flow's resources run first (they see headers and params, never
 * the body), then the request is streamed to the forward target and the answer streamed
 * back. Nothing is buffered: the route lives in its own plugin whose only content-type
 * parser leaves the body in the socket.
 *
 *   client ──req.raw──▶ undici.request(body: req.raw) ──▶ target
 *   client ◀──reply.send(stream)── upstream.body ◀──────── target
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Agent, type Dispatcher } from 'undici';
import type { HttpEndpointPlan } from '../../compile/plan.js';
import type { FlowRunner } from '../listener.js';
import { transportError } from './call-result.js';
import { clientSignal } from '../shared/client-abort.js';
import { hasEmptyParam, requestParams } from './flow-route.js';
import { endToEndHeaders, forwardRequestHeaders, rewritePath } from './forward-headers.js';
import { sendError, sendFailure } from './reply.js';
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
  const handler = createProxyHandler(endpoint, route, target, executor, own ?? dispatcher, logger);
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
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const { flow, codec } = endpoint;
  const rewrites = flow.rewrites;

  return async function handleProxy(request, reply) {
    if (hasEmptyParam(request, route)) {
      // The body was never read: finish it so the socket can serve the 404.
      request.raw.resume();
      reply.callNotFound();
      return reply;
    }
    const signal = clientSignal(reply.raw);
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

    let upstream: Dispatcher.ResponseData;
    try {
      upstream = await dispatcher.request({
        origin: target.resolve ? await target.resolve(signal) : target.origin,
        path: target.prefix + path + (q < 0 ? '' : url.slice(q)),
        method: method as Dispatcher.HttpMethod,
        headers,
        body: withBody ? request.raw : null,
        signal,
      });
    } catch (error) {
      if (signal.aborted) {
        // The client is gone: nothing to answer; make sure the socket is released.
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
      }
      const failure = transportError(error, target.name, undefined, false, false);
      logger.warn({ flow: flow.name, requestId: request.id, err: error, status: failure.status }, failure.message);
      return sendError(reply, failure.status, failure.message);
    }

    reply.code(upstream.statusCode);
    reply.headers(endToEndHeaders(upstream.headers));
    const status = upstream.statusCode;
    if (method === 'HEAD' || status === 204 || status === 304) {
      upstream.body.resume();
      return reply.send();
    }
    return reply.send(upstream.body);
  };
}

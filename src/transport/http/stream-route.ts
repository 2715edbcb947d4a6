/**
 * HTTP endpoints of stream flows (compile/stream.ts): Server-Sent Events on the route,
 * and a websocket when the client asks for an upgrade on the same path. One event (or
 * text frame) per upstream message, as JSON mapped by the flow's output:
 *
 *   GET /ticks/7   Accept: text/event-stream   →  data: {"n":1}\n\n  data: {"n":2}\n\n … event: end
 *   GET /ticks/7   Upgrade: websocket          →  {"n":1}  {"n":2}  …  close 1000
 *
 * A failure before the first message is a plain HTTP error (status and error object);
 * after it, an `event: error` (or close 1011) ends the stream. Each write waits until the
 * client has taken the previous ones, so a slow client slows the upstream; a client that
 * goes away cancels the upstream call.
 */
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';
import { codecs } from '../../codec/index.js';
import { DEFAULT_LIMITS, LimitError, type DecodeLimits } from '../../codec/limits.js';
import type { HttpEndpointPlan } from '../../compile/plan.js';
import { CallError } from '../../errors.js';
import { openFlowStream } from '../../flow/stream.js';
import type { FlowFailure } from '../../flow/types.js';
import type { FlowRunner } from '../listener.js';
import { BODYLESS_METHODS as BODYLESS } from '../../shared/http.js';
import { clientSignal } from '../shared/client-abort.js';
import { requestIdOf } from '../shared/request-id.js';
import { requestParams } from './flow-route.js';
import { sendFailure, toPayload, encodeErrorBody } from './reply.js';
import type { RoutePath } from './routes.js';
import { refuse } from './websocket.js';

/** Bytes queued on a websocket beyond which the next message waits for the socket. */
const WS_HIGH_WATER = 256 * 1024;

/** Events are JSON whatever the endpoint's codec; built once per endpoint. */
function jsonEncoder(endpoint: HttpEndpointPlan): (value: unknown) => string {
  const codec = codecs.get('json')!;
  const type = endpoint.flow.output?.type;
  return (value) => {
    const encoded = toPayload(codec.encode(value ?? {}, type));
    return typeof encoded === 'string' ? encoded : encoded.toString('utf8');
  };
}

function failureOf(error: unknown): { status: number; message: string } {
  if (error instanceof CallError) return { status: error.status, message: error.message };
  return { status: 500, message: 'internal error' };
}

export function createStreamHandler(
  endpoint: HttpEndpointPlan,
  route: RoutePath,
  runner: FlowRunner,
  logger: Logger,
  limits: DecodeLimits = DEFAULT_LIMITS,
): RouteHandlerMethod {
  const { flow, codec } = endpoint;
  const json = jsonEncoder(endpoint);
  return async function handleStream(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    let input: Record<string, unknown> = {};
    const signal = clientSignal(reply.raw);
    const flowRequest = {
      input,
      header: request.headers,
      params: requestParams(request, route.wildcard),
      requestId: request.id,
      signal,
    };
    if (!BODYLESS.has(request.method) && Buffer.isBuffer(request.body) && request.body.byteLength > 0) {
      try {
        input = codec.decode(request.body, flow.input.type, limits);
      } catch (error) {
        // Over a decoder limit (issue #8): 413 for a count, 400 for a shape, as flow routes answer.
        const status = error instanceof LimitError ? error.status : 400;
        return sendFailure(
          reply,
          runner.reject(
            flow,
            flowRequest,
            status,
            `invalid ${codec.name} request body: ${(error as Error).message}`,
          ) as FlowFailure,
          codec,
        );
      }
    }
    const opened = await openFlowStream(flow, { ...flowRequest, input }, runner);
    if (!opened.ok) return sendFailure(reply, opened, codec);

    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, {
      ...opened.header,
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-request-id': request.id,
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    try {
      for await (const event of opened.events) {
        if (!res.write(`data: ${json(event)}\n\n`)) await once(res, 'drain', { signal });
      }
      res.end('event: end\ndata: {}\n\n');
    } catch (error) {
      if (signal.aborted) return reply; // the client left; the upstream call was cancelled
      logger.warn({ err: error, flow: flow.name, requestId: request.id }, 'stream failed');
      res.end(`event: error\ndata: ${JSON.stringify(failureOf(error))}\n\n`);
    }
    return reply;
  };
}

export interface StreamUpgrades {
  /** Takes the upgrade when its path is a stream endpoint's; returns false otherwise. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

export function createStreamUpgrades(
  routes: Array<{ endpoint: HttpEndpointPlan; route: RoutePath }>,
  runner: FlowRunner,
  logger: Logger,
): StreamUpgrades {
  // ws is imported on the first upgrade (SSE clients never need it), as websocket.ts does.
  let wss: WebSocketServer | undefined;
  const loadWss = async (): Promise<WebSocketServer> => {
    if (wss) return wss;
    const { WebSocketServer } = await import('ws');
    return (wss ??= new WebSocketServer({ noServer: true, perMessageDeflate: false }));
  };
  const encoders = new Map(routes.map((r) => [r.endpoint, jsonEncoder(r.endpoint)]));
  const open = new Set<WebSocket>();
  return {
    handle(req, socket, head) {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const pathname = q < 0 ? url : url.slice(0, q);
      for (const entry of routes) {
        const match = entry.route.matcher.exec(pathname);
        if (!match) continue;
        const params: Record<string, string> = Object.fromEntries(new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
        entry.route.names.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1] ?? '')));
        serve(entry.endpoint, req, socket, head, params).catch((error: unknown) => {
          logger.error({ err: error }, 'stream websocket failed');
          socket.destroy();
        });
        return true;
      }
      return false;
    },
    close() {
      for (const ws of open) ws.close(1001, 'server shutting down');
      wss?.close();
    },
  };

  async function serve(
    endpoint: HttpEndpointPlan,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    params: Record<string, string>,
  ): Promise<void> {
    const requestId = requestIdOf(req.headers);
    const json = encoders.get(endpoint)!;
    const controller = new AbortController();
    socket.once('close', () => controller.abort());
    const opened = await openFlowStream(
      endpoint.flow,
      { input: {}, header: req.headers, params, requestId, signal: controller.signal },
      runner,
    );
    if (!opened.ok) {
      const { contentType, payload } = encodeErrorBody(opened.body, endpoint.codec, opened.status, opened.message);
      return refuse(socket, opened.status, payload, contentType, requestId);
    }
    const server = await loadWss();
    const ws = await new Promise<WebSocket>((resolve) => server.handleUpgrade(req, socket, head, resolve));
    open.add(ws);
    ws.once('close', () => {
      open.delete(ws);
      controller.abort();
    });
    ws.on('error', (error) => logger.debug({ err: error }, 'stream websocket client error'));
    try {
      for await (const event of opened.events) {
        if (ws.readyState !== ws.OPEN) break;
        const sent = new Promise<void>((resolve) => ws.send(json(event), () => resolve()));
        if (ws.bufferedAmount > WS_HIGH_WATER) await sent;
      }
      if (ws.readyState === ws.OPEN) ws.close(1000, 'end of stream');
    } catch (error) {
      if (controller.signal.aborted) return;
      logger.warn({ err: error, flow: endpoint.flow.name, requestId }, 'stream failed');
      if (ws.readyState === ws.OPEN) ws.close(1011, failureOf(error).message.slice(0, 120));
    }
  }
}

/**
 * Websocket upgrades on the HTTP listener's port, for proxy endpoints. The proxy's
 * resources run first and may refuse (the client then gets a plain HTTP error); then the
 * target is dialled, and only once it accepted is the client's upgrade completed, so a
 * dead target is a clean 502 rather than an open-then-closed socket.
 *
 *   client ──upgrade──▶ run flow ──▶ dial ws(s)://target ──open──▶ accept client
 *   client ◀═══════ messages both ways, in order, text/binary kept ═══════▶ target
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import type { HttpEndpointPlan } from '../../compile/plan.js';
import { CallError } from '../../errors.js';
import type { FlowRunner } from '../listener.js';
import { requestIdOf } from '../shared/request-id.js';
import { forwardRequestHeaders, rewritePath } from './forward-headers.js';
import type { ForwardTarget } from './proxy.js';
import { errorJson } from '../shared/raw-error.js';
import { encodeErrorBody } from './reply.js';
import type { RoutePath } from './routes.js';
import { websocketOrigin } from './upstream-url.js';

export interface WebsocketRoute {
  endpoint: HttpEndpointPlan;
  route: RoutePath;
  target: ForwardTarget;
}

export interface WebsocketProxyOptions {
  routes: WebsocketRoute[];
  executor: FlowRunner;
  logger: Logger;
  protocol: 'http' | 'https';
  /** Tried first on every upgrade (stream flows' websockets); true when it took it. */
  other?: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
}

// The handshake headers belong to each hop; ws writes its own towards the target.
const HANDSHAKE = new Set([
  'host',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'sec-websocket-accept',
]);

/** Handles every upgrade on `server`; returns a function that closes open bridges. */
export function attachWebsocketProxy(server: Server, options: WebsocketProxyOptions): () => void {
  const chosen = new WeakMap<IncomingMessage, string>();
  // ws is imported on the first upgrade that matches a route: most configurations never
  // proxy a websocket, and the module costs start-up time and memory.
  let wss: WebSocketServer | undefined;
  let ws: typeof import('ws') | undefined;
  const loadWs = async (): Promise<{ ws: typeof import('ws'); wss: WebSocketServer }> => {
    ws ??= await import('ws');
    wss ??= new ws.WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      handleProtocols: (_offered, req) => chosen.get(req) ?? false,
    });
    return { ws, wss };
  };
  const open = new Set<WebSocket>();
  const routes = options.routes.filter((r) => r.endpoint.method === 'GET' || r.endpoint.method === '*');

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => options.logger.debug({ err: error }, 'websocket client socket error'));
    if (options.other?.(req, socket, head)) return;
    handleUpgrade(req, socket, head).catch((error: unknown) => {
      options.logger.error({ err: error }, 'websocket upgrade failed');
      refuse(socket, 500, errorJson(500, 'internal error'), 'application/json', '');
    });
  });

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const requestId = requestIdOf(req.headers);
    const found = matchRoute(routes, pathname);
    if (!found) {
      refuse(socket, 404, errorJson(404, `no websocket endpoint for ${pathname}`), 'application/json', requestId);
      return;
    }
    const { entry, params } = found;
    for (const [name, value] of new URLSearchParams(q < 0 ? '' : url.slice(q + 1))) {
      if (!(name in params)) params[name] = value;
    }
    const controller = new AbortController();
    const onGone = (): void => controller.abort();
    socket.once('close', onGone);
    const result = await options.executor.run(entry.endpoint.flow, {
      input: {},
      header: req.headers,
      params,
      requestId,
      signal: controller.signal,
      remoteAddress: req.socket.remoteAddress,
      endpoint: entry.endpoint,
    });
    const flow = entry.endpoint.flow.name;
    if (!result.ok) {
      options.logger.info(
        { flow, protocol: 'websocket', requestId, status: result.status },
        'websocket upgrade refused by the flow',
      );
      const { contentType, payload } = encodeErrorBody(
        result.body,
        entry.endpoint.codec,
        result.status,
        result.message,
      );
      refuse(socket, result.status, payload, contentType, requestId);
      return;
    }
    if (controller.signal.aborted) return;
    const { ws: wsModule, wss: server } = await loadWs();
    if (controller.signal.aborted) return;

    let origin = entry.target.origin;
    if (entry.target.resolve) {
      try {
        origin = await entry.target.resolve(controller.signal);
      } catch (error) {
        const status = error instanceof CallError ? error.status : 502;
        refuse(
          socket,
          status,
          errorJson(
            status,
            error instanceof CallError ? error.message : `websocket target ${entry.target.name} unreachable`,
          ),
          'application/json',
          requestId,
        );
        return;
      }
    }
    const target = `${websocketOrigin(origin)}${entry.target.prefix}${rewritePath(pathname, entry.endpoint.flow.rewrites)}${q < 0 ? '' : url.slice(q)}`;
    const headers = forwardRequestHeaders(
      req.headers,
      {
        remoteAddress: req.socket.remoteAddress,
        protocol: options.protocol,
        requestId,
        extra: result.header,
        authorization: entry.target.authorization,
      },
      HANDSHAKE,
    );
    const offered =
      req.headers['sec-websocket-protocol']
        ?.split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '') ?? [];
    const upstream = new wsModule.WebSocket(target, offered, {
      ...entry.target.connect,
      headers: headers as Record<string, string>,
      perMessageDeflate: false,
    });
    const early: Array<[RawData, boolean]> = [];
    let client: WebSocket | undefined;
    upstream.on('message', (data, isBinary) => {
      if (client) client.send(data as Buffer, { binary: isBinary });
      else early.push([data, isBinary]);
    });
    upstream.on('unexpected-response', (_request, response) => {
      response.resume();
      const status = response.statusCode !== undefined && response.statusCode >= 400 ? response.statusCode : 502;
      refuse(
        socket,
        status,
        errorJson(status, `websocket target ${entry.target.name} refused the upgrade (${response.statusCode})`),
        'application/json',
        requestId,
      );
      upstream.terminate();
    });
    upstream.on('error', (error) => {
      if (client) return; // the bridge's own handlers deal with it
      options.logger.warn({ err: error, flow: entry.endpoint.flow.name, requestId }, 'websocket target unreachable');
      refuse(
        socket,
        502,
        errorJson(502, `websocket target ${entry.target.name} unreachable`),
        'application/json',
        requestId,
      );
    });
    socket.removeListener('close', onGone);
    socket.once('close', () => {
      if (!client) upstream.terminate();
    });
    upstream.once('open', () => {
      if (upstream.protocol) chosen.set(req, upstream.protocol);
      if (socket.destroyed) {
        upstream.terminate();
        return;
      }
      server.handleUpgrade(req, socket, head, (accepted) => {
        client = accepted;
        // One line when the session opens and one when it ends, under the upgrade's request id.
        const opened = performance.now();
        options.logger.info({ flow, protocol: 'websocket', requestId, status: 101 }, 'websocket session opened');
        accepted.once('close', (code) => {
          options.logger.info(
            { flow, protocol: 'websocket', requestId, code, ms: Math.round(performance.now() - opened) },
            'websocket session closed',
          );
        });
        for (const [data, isBinary] of early) accepted.send(data as Buffer, { binary: isBinary });
        early.length = 0;
        bridge(accepted, upstream, open, options.logger);
      });
    });
  }

  return () => {
    for (const bridged of open) bridged.close(1001, 'server shutting down');
    wss?.close();
  };
}

/** Pipes messages both ways and closes both sides together, keeping the close code. */
function bridge(client: WebSocket, upstream: WebSocket, open: Set<WebSocket>, logger: Logger): void {
  open.add(client);
  client.on('message', (data, isBinary) => {
    if (upstream.readyState === upstream.OPEN) upstream.send(data as Buffer, { binary: isBinary });
  });
  client.on('close', (code, reason) => {
    open.delete(client);
    closeWith(upstream, code, reason);
  });
  upstream.on('close', (code, reason) => closeWith(client, code, reason));
  client.on('error', (error) => {
    logger.debug({ err: error }, 'websocket client error');
    upstream.terminate();
  });
  upstream.on('error', (error) => {
    logger.debug({ err: error }, 'websocket target error');
    client.terminate();
  });
}

/** 1005/1006/1015 are reported, never sent: the other side then gets a plain close. */
function closeWith(ws: WebSocket, code: number, reason: Buffer): void {
  if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return;
  if (ws.readyState === ws.CONNECTING) {
    ws.terminate();
    return;
  }
  const sendable =
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
  if (sendable) ws.close(code, reason);
  else ws.close();
}

function matchRoute(
  routes: WebsocketRoute[],
  pathname: string,
): { entry: WebsocketRoute; params: Record<string, string> } | undefined {
  for (const entry of routes) {
    const match = entry.route.matcher.exec(pathname);
    if (!match) continue;
    const params: Record<string, string> = {};
    entry.route.names.forEach((name, i) => {
      const raw = safeDecode(match[i + 1] ?? '');
      params[name] = name === entry.route.wildcard ? `/${raw}` : raw;
    });
    return { entry, params };
  }
  return undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A plain HTTP answer on a socket that asked for an upgrade, then the socket is closed. */
export function refuse(
  socket: Duplex,
  status: number,
  payload: Buffer | string,
  contentType: string,
  requestId: string,
): void {
  if (socket.destroyed || !socket.writable) return;
  const length = Buffer.byteLength(payload);
  const id = requestId ? `x-request-id: ${requestId}\r\n` : '';
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\ncontent-type: ${contentType}\r\ncontent-length: ${length}\r\n${id}\r\n`,
  );
  socket.end(payload, () => socket.destroy());
}

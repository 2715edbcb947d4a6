/**
 * A bound node:http(s) server whose requests go to whichever configuration is current.
 * Each configuration builds its own fastify app (never bound); the slot forwards every
 * `request`, `upgrade` and `clientError` event of the bound server to the current app's
 * server, looked up once per event:
 *
 *   socket ─▶ slot server ──current()──▶ generation N's fastify server ─▶ routes
 *
 * A reload swaps what `current()` returns; the port, its connections and keep-alive
 * sockets stay. A request keeps the app it was dispatched to until it is answered.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { ListenAddress, TlsFiles } from '../compile/plan.js';
import { bindServer } from '../transport/shared/address.js';

export interface ServerSlot {
  /** The address as configured (`:8080`). */
  readonly address: ListenAddress;
  /** What decides whether a new configuration can keep this slot (address, TLS, timeouts). */
  readonly key: string;
  listen(): Promise<string>;
  /** Stops accepting, lets requests finish for up to `graceMs`, then cuts what is left. */
  close(graceMs?: number): Promise<void>;
}

export interface ServerSlotOptions {
  address: ListenAddress;
  key: string;
  tls: TlsFiles | undefined;
  /**
   * The app of the current configuration, read once per request; undefined when no
   * configuration serves this listener any more (it is draining): answered 503.
   */
  current: () => { server: Server; track(res: ServerResponse): void } | undefined;
}

/** The per-connection limits fastify set on its own server, copied to the bound one. */
const COPIED = ['requestTimeout', 'headersTimeout', 'keepAliveTimeout', 'timeout', 'maxHeadersCount'] as const;

export function createServerSlot(options: ServerSlotOptions): ServerSlot {
  const { tls, current } = options;
  const model = current()?.server;
  if (!model) throw new Error(`the listener on ${options.address.text} has no configuration to serve`);
  // The timeouts go in at creation (#8): Node checks them every `connectionsCheckingInterval`
  // (30 s unless given here), so a `read_timeout = "2s"` set afterwards would fire late.
  const timing: ServerOptions = {
    requestTimeout: model.requestTimeout,
    headersTimeout: model.headersTimeout,
    keepAliveTimeout: model.keepAliveTimeout,
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(model.headersTimeout / 4))),
  };
  const server: Server = tls
    ? createHttpsServer({ ...timing, cert: tls.cert, key: tls.key })
    : createHttpServer(timing);
  for (const name of COPIED) (server as unknown as Record<string, unknown>)[name] = model[name];
  // Answered requests whose body was never read to the end (a proxy whose upstream broke
  // mid-upload): their connection is neither idle nor finishing, so close() cuts them.
  const unread = new Set<IncomingMessage>();
  let stopping = false;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    res.once('finish', () => {
      if (req.complete) return;
      if (stopping) return void req.socket.destroy();
      unread.add(req);
      req.once('close', () => unread.delete(req));
    });
    const app = current();
    if (!app) {
      res
        .writeHead(503, { 'content-type': 'application/json', connection: 'close' })
        .end('{"status":503,"message":"this listener is closing"}');
      return;
    }
    app.track(res);
    app.server.emit('request', req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!current()?.server.emit('upgrade', req, socket, head)) socket.destroy();
  });
  server.on('clientError', (error: Error, socket: Duplex) => {
    if (!current()?.server.emit('clientError', error, socket)) socket.destroy();
  });
  let closing: Promise<void> | undefined;
  return {
    address: options.address,
    key: options.key,
    listen(): Promise<string> {
      return bindServer(server, options.address);
    },
    close(graceMs = 10_000): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        stopping = true;
        for (const req of unread) req.socket.destroy();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        // A keep-alive socket goes idle once its last answer is written; it would hold
        // close() open until the client hangs up, so idle ones are closed as they appear.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearTimeout(timer);
          clearInterval(sweep);
          resolve();
        });
      });
      return closing;
    },
  };
}

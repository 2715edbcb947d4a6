/**
 * The gRPC listener's server on `node:http2` (h2c, or TLS with ALPN h2): each stream is
 * one call, dispatched by its `:path` to the route table that `routes()` answers at that
 * moment (a reload swaps the table; a call keeps the route it started on).
 *
 *   stream ─▶ content-type application/grpc? (else HTTP 415)
 *          ─▶ routes().get(:path)            (else UNIMPLEMENTED)
 *          ─▶ unary / server-streaming: one request message read, bounded, then handle()
 *             bidi (proxy relay, reflection): handle() reads the stream itself
 *
 * Why not grpc-js's Server: per call it builds metadata objects, an interceptor chain, a
 * call stream and status machinery, and cost ~3.7× the HTTP listener's CPU for the same
 * flow (notes/perf.md); here a call is the HTTP/2 stream and a few fields.
 *
 * Limits: every request message is bounded (`maxMessageBytes`, RESOURCE_EXHAUSTED naming
 * the limit); a connection with no stream open for `idleTimeoutMs` is closed with GOAWAY;
 * the request message of a unary or server-streaming call must arrive within
 * `readTimeoutMs` (DEADLINE_EXCEEDED otherwise: the HTTP listener's 408). Calls still
 * reading are swept on an interval, as Node checks its HTTP timeouts, not one timer each.
 * close() sends GOAWAY on every connection, lets calls in flight finish for the grace
 * period, then cuts what is left.
 */
import {
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { ListenAddress, TlsFiles } from '../../compile/plan.js';
import { bindServer } from '../shared/address.js';
import { Code } from './codes.js';
import { FrameParser, inflate } from './frames.js';
import { GrpcCall } from './server-call.js';

/** What a configuration serves on one path. */
export interface GrpcRoute {
  /** unary and serverStream routes are handed the one request message; bidi routes read the stream. */
  readonly kind: 'unary' | 'serverStream' | 'bidi';
  handle(call: GrpcCall, message: Buffer | undefined): void;
}

export type GrpcRoutes = ReadonlyMap<string, GrpcRoute>;

/** grpc-js's default max_receive_message_length. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** The HTTP listener's default idle and read timeouts (transport/http/timeouts.ts). */
export const DEFAULT_GRPC_IDLE_TIMEOUT_MS = 72_000;
export const DEFAULT_GRPC_READ_TIMEOUT_MS = 30_000;

export interface GrpcServerOptions {
  address: ListenAddress;
  tls?: TlsFiles;
  /** The current configuration's routes; undefined while none serves this port. */
  routes: () => GrpcRoutes | undefined;
  maxMessageBytes?: number;
  idleTimeoutMs?: number;
  readTimeoutMs?: number;
}

export interface GrpcServer {
  listen(): Promise<string>;
  /** GOAWAY to every connection; calls in flight finish for up to `graceMs`, then are cut. */
  close(graceMs?: number): Promise<void>;
}

const ignore = (): void => undefined;

export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_GRPC_IDLE_TIMEOUT_MS;
  const readMs = options.readTimeoutMs ?? DEFAULT_GRPC_READ_TIMEOUT_MS;
  /** Calls whose request message is still arriving, with when they started. */
  const reading = new Map<GrpcCall, number>();
  const sweep = setInterval(
    () => {
      const late = Date.now() - readMs;
      for (const [call, since] of reading) {
        if (since > late) break; // in arrival order: the rest are younger
        reading.delete(call);
        call.end(Code.DEADLINE_EXCEEDED, `the request message did not arrive within ${readMs}ms (read_timeout)`);
      }
    },
    Math.max(50, Math.min(1_000, Math.floor(readMs / 4))),
  );
  sweep.unref();
  const settings = { enablePush: false, maxHeaderListSize: 64 * 1024 };
  const server: Http2Server | Http2SecureServer = options.tls
    ? createSecureServer({ cert: options.tls.cert, key: options.tls.key, ALPNProtocols: ['h2'], settings })
    : createServer({ settings });
  /** Open streams per connection: the idle timer only closes a connection with none. */
  const sessions = new Map<Http2Session, number>();
  let closing = false;

  server.on('session', (session: Http2Session) => {
    sessions.set(session, 0);
    session.on('error', () => undefined); // its streams end with it; nothing to answer
    session.once('close', () => sessions.delete(session));
    session.setTimeout(idleMs, () => {
      if ((sessions.get(session) ?? 0) === 0) session.close();
    });
    if (closing) session.close();
  });
  /** A call's stream has closed: it no longer holds its connection open or waits to be read. */
  const released = (call: GrpcCall): void => {
    reading.delete(call);
    const open = call.session && sessions.get(call.session);
    if (open) sessions.set(call.session!, open - 1);
  };
  server.on(
    'stream',
    (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
      stream.on('error', ignore); // a reset stream; its 'close' cancels the call
      const contentType = headers['content-type'];
      if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
        stream.respond({ ':status': 415 }, { endStream: true });
        stream.close();
        return;
      }
      const session = stream.session;
      if (session) sessions.set(session, (sessions.get(session) ?? 0) + 1);
      dispatch(new GrpcCall(stream, headers[':path'] ?? '', rawHeaders, released));
    },
  );

  const dispatch = (call: GrpcCall): void => {
    const route = options.routes()?.get(call.path);
    if (!route) return call.end(Code.UNIMPLEMENTED, `${call.path} is not served`);
    if (route.kind === 'bidi') return route.handle(call, undefined);
    reading.set(call, Date.now());
    readOne(call, route, maxBytes, () => reading.delete(call));
  };

  return {
    listen: () => bindServer(server, options.address),
    close(graceMs = 10_000): Promise<void> {
      return new Promise<void>((resolve) => {
        clearInterval(sweep);
        if (!server.listening) return resolve();
        closing = true;
        const timer = setTimeout(() => {
          for (const session of sessions.keys()) session.destroy();
        }, graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // GOAWAY: no new calls on these connections; the ones in flight go on.
        for (const session of sessions.keys()) session.close();
      });
    },
  };
}

/** Reads the single request message of a unary or server-streaming call, then hands it over. */
function readOne(call: GrpcCall, route: GrpcRoute, maxBytes: number, read: () => void): void {
  let message: Buffer | undefined;
  let count = 0;
  let failed = false;
  const parser = new FrameParser(maxBytes, (compressed, bytes) => {
    if (++count === 1) {
      const inflated = inflate(compressed, bytes, call.encoding, maxBytes);
      if (Buffer.isBuffer(inflated)) message = inflated;
      else {
        failed = true;
        call.end(inflated.code, inflated.details);
      }
    } else if (!failed) {
      failed = true;
      call.end(Code.UNIMPLEMENTED, `received a second request message for ${call.path}`);
    }
  });
  const { stream } = call;
  stream.on('data', (chunk: Buffer) => {
    if (failed) return;
    const error = parser.push(chunk);
    if (error) {
      failed = true;
      call.end(error.code, error.details);
    }
  });
  stream.on('end', () => {
    read();
    if (failed || call.done) return;
    if (!parser.idle) return call.end(Code.INTERNAL, 'the request ended inside a message');
    if (count === 0) return call.end(Code.UNIMPLEMENTED, `received no request message for ${call.path}`);
    route.handle(call, message);
  });
}

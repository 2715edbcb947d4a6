/**
 * A proxy flow on a gRPC endpoint: the proxy's resources run first (they may refuse the
 * call), then the call is relayed to the forward target's same method over node:http2,
 * DATA bytes as they come, in both directions — unary, server-, client-streaming and
 * bidi alike, since on the wire they are all one HTTP/2 stream of framed messages:
 *
 *   client ══ DATA ══▶ maestro ══ DATA ══▶ target /pkg.Service/Method
 *          ◀═ headers, DATA, trailers ═════
 *
 * Messages are not decoded or copied; a frame parser on each direction only checks each
 * message against the listener's size limit. Each side is paused while the other cannot
 * take more (backpressure both ways); a client that cancels cancels the target call; the
 * target's status, trailers and initial metadata reach the client.
 */
import { constants, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { Logger } from 'pino';
import type { GrpcEndpointPlan, GrpcHost } from '../../compile/plan.js';
import type { FlowRunner } from '../listener.js';
import { requestIdFrom } from '../shared/request-id.js';
import { Code } from './codes.js';
import { FrameParser } from './frames.js';
import { metadataHeaders } from './h2-metadata.js';
import { copyMetadata, decodeMessage, H2Session, type H2SessionOptions } from './h2-session.js';
import type { GrpcRoute } from './server.js';
import type { GrpcCall } from './server-call.js';
import { httpToGrpc } from './status.js';

export interface ProxyHandlerOptions {
  endpoint: GrpcEndpointPlan;
  executor: FlowRunner;
  logger: Logger;
  /** The target's connection, shared by every method relayed to it. */
  session: H2Session;
  /** The bound on each message, both ways. */
  maxMessageBytes: number;
}

// Metadata the next hop gets from HTTP/2 or from this relay, not from the client.
const NOT_FORWARDED = new Set(['user-agent', 'host', 'x-request-id']);

// A target stream reset without a status, by HTTP/2 error code (as grpc-js maps them).
const RESET_CODE = new Map<number, number>([
  [constants.NGHTTP2_REFUSED_STREAM, Code.UNAVAILABLE],
  [constants.NGHTTP2_CANCEL, Code.CANCELLED],
  [constants.NGHTTP2_ENHANCE_YOUR_CALM, Code.RESOURCE_EXHAUSTED],
  [constants.NGHTTP2_INADEQUATE_SECURITY, Code.PERMISSION_DENIED],
]);

/** One connection per forward target, for a configuration's proxies to share and close. */
export function createTargetSessions(): { sessionFor(host: GrpcHost): H2Session; close(): void } {
  const sessions = new Map<string, H2Session>();
  return {
    sessionFor(host) {
      const key = `${host.secure ? 's' : ''}|${host.target}`;
      let session = sessions.get(key);
      if (!session) sessions.set(key, (session = new H2Session(dialOptions(host))));
      return session;
    },
    close() {
      for (const session of sessions.values()) session.close();
      sessions.clear();
    },
  };
}

/**
 * Where to dial a target written in resolver syntax: `dns:///host:port` is the name
 * itself (Node resolves it), `unix:` a socket path, an `ipv4:`/`ipv6:` list its first
 * address.
 */
export function dialOptions({ target, secure }: GrpcHost): H2SessionOptions {
  if (target.startsWith('unix:'))
    return { authority: 'localhost', secure, socketPath: target.slice(5).replace(/^\/\/(?=\/)/, '') };
  let authority = target;
  if (authority.startsWith('dns:')) authority = authority.slice(authority.indexOf('/', 6) + 1 || 4);
  else if (/^ipv[46]:/.test(authority)) authority = authority.slice(5).split(',')[0]!;
  return { authority, secure };
}

export function createProxyHandler(options: ProxyHandlerOptions): GrpcRoute {
  const { endpoint, executor, logger, session, maxMessageBytes } = options;
  const { flow } = endpoint;
  const path = `/${endpoint.package ? `${endpoint.package}.` : ''}${endpoint.service}/${endpoint.method}`;

  const handle = (call: GrpcCall): void => {
    const requestId = requestIdFrom(call.header['x-request-id']);
    // Held until the target call exists; the proxy's resources run meanwhile.
    call.stream.pause();
    call.enforceDeadline();
    executor.run(flow, { input: {}, header: call.header, params: {}, requestId, signal: call.signal }).then(
      (result) => {
        if (call.done) return;
        if (!result.ok) return call.end(httpToGrpc(result.status), result.message, { 'x-request-id': requestId });
        const headers: OutgoingHttpHeaders = {};
        for (const key in call.header) if (!NOT_FORWARDED.has(key)) headers[key] = call.header[key];
        Object.assign(headers, metadataHeaders(result.header));
        headers['x-request-id'] = requestId;
        // Messages go as they are: the target must know how they were compressed.
        if (call.encoding) headers['grpc-encoding'] = call.encoding;
        const timeoutMs = call.deadline === undefined ? undefined : Math.max(1, call.deadline - Date.now());
        const target = session.open(path, headers, timeoutMs);
        if (target instanceof Error) return call.end(Code.UNAVAILABLE, target.message);
        relay(call, target, maxMessageBytes);
        logger.debug({ requestId, path }, 'grpc relay started');
      },
      (error: unknown) => {
        logger.error({ err: error, flow: flow.name, requestId, path }, 'proxy flow crashed');
        call.end(Code.INTERNAL, 'internal error');
      },
    );
  };
  return { kind: 'bidi', handle };
}

function relay(call: GrpcCall, target: ClientHttp2Stream, maxBytes: number): void {
  const incoming = call.stream;
  const up = new FrameParser(maxBytes);
  const down = new FrameParser(maxBytes);
  const cancel = (): void => {
    if (!target.destroyed) target.close(constants.NGHTTP2_CANCEL);
  };
  call.signal.addEventListener('abort', cancel, { once: true });
  const refuse = (code: number, details: string): void => {
    call.end(code, details);
    cancel();
  };

  // client → target
  incoming.on('data', (chunk: Buffer) => {
    const error = up.push(chunk);
    if (error) return refuse(error.code, error.details);
    if (!target.write(chunk)) incoming.pause();
  });
  target.on('drain', () => incoming.resume());
  incoming.once('end', () => {
    if (!target.destroyed) target.end();
  });
  incoming.resume();

  // target → client
  let trailers: IncomingHttpHeaders | undefined;
  target.on('response', (headers) => {
    const metadata = answerMetadata(headers);
    // Trailers-only: the status travels in the response headers.
    if (headers['grpc-status'] !== undefined) trailers = headers;
    else call.sendHeaders(metadata);
  });
  target.on('data', (chunk: Buffer) => {
    const error = down.push(chunk);
    if (error) return refuse(error.code, error.details);
    if (!call.writeRaw(chunk)) target.pause();
  });
  incoming.on('drain', () => target.resume());
  target.on('trailers', (received) => {
    trailers = received;
  });
  target.on('error', () => undefined); // the status below carries it
  const finish = (): void => {
    if (call.done) return;
    if (trailers) {
      const code = Number(trailers['grpc-status']);
      const valid = Number.isInteger(code) && code >= 0 && code <= 16;
      return call.end(valid ? code : Code.UNKNOWN, decodeMessage(trailers['grpc-message']), answerMetadata(trailers));
    }
    const reset = target.rstCode;
    call.end(
      reset !== undefined && reset !== constants.NGHTTP2_NO_ERROR
        ? (RESET_CODE.get(reset) ?? Code.UNAVAILABLE)
        : Code.UNAVAILABLE,
      'the target ended the call without a status',
    );
  };
  // Messages may still wait in the target stream's buffer (paused): relay them first.
  target.once('close', () => (target.readableEnded || !trailers ? finish() : target.once('end', finish)));
}

function answerMetadata(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const metadata: Record<string, string> = {};
  copyMetadata(headers, metadata);
  const encoding = headers['grpc-encoding'];
  if (typeof encoding === 'string' && encoding !== 'identity') metadata['grpc-encoding'] = encoding;
  return metadata;
}

/**
 * One HTTP/2 connection to a gRPC upstream, on `node:http2`, for unary calls: a call is a
 * stream carrying one length-prefixed message each way, the status in the trailers.
 *
 *   HEADERS :path /pkg.Service/Method, content-type application/grpc, te trailers,
 *           grpc-timeout 150m, metadata ─▶ DATA [0][len:4][message] (END_STREAM)
 *   ◀─ HEADERS :status 200 (+ metadata) ◀─ DATA [0][len:4][message] ◀─ TRAILERS grpc-status
 *
 * Why not grpc-js: its channel machinery (resolver, load balancer, subchannel state, call
 * interceptors, per-call filter stacks) made the client the ceiling of the gRPC hop
 * (notes/perf.md has the figures). The connection is opened on the first call and again
 * after it closes (GOAWAY, idle drop, network error); a failed connect fails the calls that
 * waited for it as UNAVAILABLE, as grpc-js does.
 */
import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2';
import { connect as netConnect } from 'node:net';
import { Code } from './codes.js';

/** How a unary call ended, as grpc-js reports it: a code, details, metadata, the message. */
export interface UnaryOutcome {
  code: number;
  details: string;
  /** Response headers then trailers, reserved and pseudo-headers left out. */
  headers: Record<string, string>;
  message: Buffer | undefined;
  /** The answer passed the size cap and was not read further. */
  tooLarge?: boolean;
}

export interface H2SessionOptions {
  /** `host:port` to dial. */
  authority: string;
  secure: boolean;
  /** Extra TLS settings (a private CA, say); defaults verify against the system roots. */
  tls?: SecureClientSessionOptions;
  /** Dial this Unix socket instead of `authority` (a `unix:` target relayed by the gRPC proxy). */
  socketPath?: string;
}

/** The largest answer accepted, as grpc-js's default grpc.max_receive_message_length. */
/** The answer cap when a call sets none (compile always sets `max_response_size`, 10 MB by default). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

// Answer headers grpc-js does not expose as metadata; the rest reaches the flow.
const NOT_METADATA = new Set([
  ':status',
  'content-type',
  'grpc-status',
  'grpc-message',
  'grpc-encoding',
  'grpc-accept-encoding',
  'content-length',
  'te',
  'trailer',
]);

// What an HTTP status without a grpc-status means (gRPC's "HTTP to gRPC status code mapping").
const HTTP_STATUS_CODE = new Map<number, number>([
  [400, Code.INTERNAL],
  [401, Code.UNAUTHENTICATED],
  [403, Code.PERMISSION_DENIED],
  [404, Code.UNIMPLEMENTED],
  [429, Code.UNAVAILABLE],
  [502, Code.UNAVAILABLE],
  [503, Code.UNAVAILABLE],
  [504, Code.UNAVAILABLE],
]);

// A stream reset without a status, by HTTP/2 error code (as grpc-js maps them).
const RESET_CODE = new Map<number, number>([
  [constants.NGHTTP2_REFUSED_STREAM, Code.UNAVAILABLE],
  [constants.NGHTTP2_CANCEL, Code.CANCELLED],
  [constants.NGHTTP2_ENHANCE_YOUR_CALM, Code.RESOURCE_EXHAUSTED],
  [constants.NGHTTP2_INADEQUATE_SECURITY, Code.PERMISSION_DENIED],
]);

export class H2Session {
  private session: ClientHttp2Session | undefined;
  private closed = false;
  /** Calls in flight: the connection keeps the process alive only while there are some. */
  private active = 0;
  private readonly origin: string;

  constructor(private readonly options: H2SessionOptions) {
    this.origin = `${options.secure ? 'https' : 'http'}://${options.authority}`;
  }

  /**
   * Sends one unary call. `headers` are already checked metadata; `timeoutMs` becomes
   * grpc-timeout (the local timer is the caller's). `onStream` receives the stream so the
   * caller can cancel it.
   */
  unary(
    path: string,
    headers: OutgoingHttpHeaders,
    payload: Buffer,
    timeoutMs: number | undefined,
    onStream: (stream: ClientHttp2Stream) => void,
    maxBytes: number = MAX_MESSAGE_BYTES,
  ): Promise<UnaryOutcome> {
    const stream = this.open(path, headers, timeoutMs);
    if (stream instanceof Error) return Promise.resolve(failed(Code.UNAVAILABLE, stream.message));
    return new Promise((resolve) => {
      onStream(stream);
      // One DATA write with END_STREAM: prefix (uncompressed flag, length) and message.
      const frame = Buffer.allocUnsafe(5 + payload.length);
      frame[0] = 0;
      frame.writeUInt32BE(payload.length, 1);
      payload.copy(frame, 5);
      stream.end(frame);
      readAnswer(stream, resolve, maxBytes);
    });
  }

  /**
   * Opens one call of any kind (the gRPC proxy relays streams through it): the request
   * headers are sent, the caller writes the framed messages and reads the answer. An
   * Error when no stream could be opened (closed client, dead connection).
   */
  open(path: string, headers: OutgoingHttpHeaders, timeoutMs?: number): ClientHttp2Stream | Error {
    if (this.closed) return new Error('the gRPC client is closed');
    const session = this.connected();
    headers[':method'] = 'POST';
    headers[':path'] = path;
    headers['content-type'] = 'application/grpc';
    headers.te = 'trailers';
    if (timeoutMs !== undefined) headers['grpc-timeout'] = `${Math.max(1, Math.ceil(timeoutMs))}m`;
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (error) {
      // Out of stream ids, or the session died under us: the next call opens a new one.
      if (this.session === session) this.session = undefined;
      session.close();
      return error as Error;
    }
    if (this.active++ === 0) session.ref();
    stream.once('close', () => {
      if (--this.active === 0 && !session.destroyed) session.unref();
    });
    return stream;
  }

  /** Ends the connection once its streams are done; later calls fail UNAVAILABLE. */
  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }

  private connected(): ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const { socketPath } = this.options;
    const session = connect(this.origin, {
      ...this.options.tls,
      settings: { enablePush: false },
      ...(socketPath ? { createConnection: () => netConnect(socketPath) } : {}),
    });
    // Errors reach the streams (each then ends UNAVAILABLE); unhandled, they would throw.
    session.on('error', () => undefined);
    session.on('goaway', () => {
      if (this.session === session) this.session = undefined;
    });
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    // An idle connection must not keep the process alive (grpc-js unrefs idle channels too).
    if (this.active === 0) session.unref();
    this.session = session;
    return session;
  }
}

function failed(code: number, details: string): UnaryOutcome {
  return { code, details, headers: {}, message: undefined };
}

/** Collects the answer: headers, the one message (frames reassembled), trailers. */
function readAnswer(stream: ClientHttp2Stream, resolve: (outcome: UnaryOutcome) => void, maxBytes: number): void {
  const headers: Record<string, string> = {};
  let httpStatus = 0;
  let statusHeaders: IncomingHttpHeaders | undefined;
  const chunks: Buffer[] = [];
  let received = 0;
  let error: Error | undefined;
  let tooLarge = false;

  stream.on('response', (incoming) => {
    httpStatus = Number(incoming[':status']);
    // Trailers-only answer: the status travels in the response headers.
    if (incoming['grpc-status'] !== undefined) statusHeaders = incoming;
    copyMetadata(incoming, headers);
  });
  stream.on('trailers', (trailers) => {
    statusHeaders = trailers;
    copyMetadata(trailers, headers);
  });
  stream.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > maxBytes + 5) {
      // Bounded (max_response_size): stop reading; the caller answers 502 naming the limit.
      tooLarge = true;
      chunks.length = 0;
      stream.close(constants.NGHTTP2_CANCEL);
      return;
    }
    chunks.push(chunk);
  });
  stream.on('error', (e: Error) => {
    error = e;
  });
  stream.on('close', () => {
    if (tooLarge)
      return resolve({
        code: Code.RESOURCE_EXHAUSTED,
        details: `received a message larger than ${maxBytes} bytes`,
        headers,
        message: undefined,
        tooLarge: true,
      });
    if (statusHeaders !== undefined) {
      const code = Number(statusHeaders['grpc-status']);
      const details = decodeMessage(statusHeaders['grpc-message']);
      if (!Number.isInteger(code) || code < 0 || code > 16)
        return resolve({
          code: Code.UNKNOWN,
          details: `invalid grpc-status ${String(statusHeaders['grpc-status'])}`,
          headers,
          message: undefined,
        });
      if (code !== Code.OK) return resolve({ code, details, headers, message: undefined });
      if (received === 0) return resolve({ code, details, headers, message: undefined }); // OK without a message
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      const parsed = unframe(body);
      if (typeof parsed === 'string')
        return resolve({ code: Code.INTERNAL, details: parsed, headers, message: undefined });
      return resolve({ code, details, headers, message: parsed });
    }
    if (httpStatus !== 0 && httpStatus !== 200) {
      return resolve({
        code: HTTP_STATUS_CODE.get(httpStatus) ?? Code.UNKNOWN,
        details: `received HTTP status ${httpStatus}`,
        headers,
        message: undefined,
      });
    }
    const reset = stream.rstCode;
    if (httpStatus === 0 || error) {
      // Never answered: refused, reset or dropped connection.
      const code =
        reset !== undefined && reset !== constants.NGHTTP2_NO_ERROR
          ? (RESET_CODE.get(reset) ?? Code.UNAVAILABLE)
          : Code.UNAVAILABLE;
      return resolve({
        code,
        details: error?.message ?? `stream closed with HTTP/2 code ${reset}`,
        headers,
        message: undefined,
      });
    }
    resolve({
      code: reset ? (RESET_CODE.get(reset) ?? Code.INTERNAL) : Code.UNKNOWN,
      details: 'no status received',
      headers,
      message: undefined,
    });
  });
}

/** The single message of a unary answer, or why it is malformed. */
function unframe(body: Buffer): Buffer | string {
  if (body.length < 5) return 'truncated gRPC frame';
  if (body[0] !== 0) return 'compressed message, but no compression was offered';
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length)
    return body.length < 5 + length ? 'truncated gRPC frame' : 'more than one message in a unary answer';
  return body.subarray(5);
}

/** Answer headers or trailers as metadata: pseudo-headers and what gRPC itself uses left out. */
export function copyMetadata(from: IncomingHttpHeaders, into: Record<string, string>): void {
  for (const key in from) {
    if (key.charCodeAt(0) === 58 /* : */ || NOT_METADATA.has(key)) continue;
    const value = from[key];
    if (value === undefined) continue;
    into[key] = Array.isArray(value) ? value.join(', ') : value;
  }
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
export function decodeMessage(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(', ') : (value ?? '');
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

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
import { frame } from './frames.js';

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
    headers[':method'] = 'POST';
    headers[':path'] = path;
    headers['content-type'] = 'application/grpc';
    headers.te = 'trailers';
    if (timeoutMs !== undefined) headers['grpc-timeout'] = grpcTimeout(timeoutMs);
    return new Promise((resolve) => {
      const call = new UnaryCall(maxBytes);
      call.settle = resolve;
      this.send(headers, payload, call);
      if (call.stream) onStream(call.stream);
    });
  }

  /**
   * The unary call itself, for callers that build `headers` whole (pseudo-headers,
   * content-type, te, grpc-timeout, metadata) and hold the call (h2-caller.ts): no closure
   * per call. `call.settle` gets the outcome once the stream closed.
   */
  send(headers: OutgoingHttpHeaders, payload: Buffer, call: UnaryCall): void {
    const stream = this.start(headers);
    if (stream instanceof Error) return call.settle(failed(Code.UNAVAILABLE, stream.message));
    call.stream = stream;
    (stream as CallStream)[CALL] = call;
    // One DATA write with END_STREAM: prefix (uncompressed flag, length) and message.
    stream.end(frame(payload));
    // Shared listeners (no closure per call): each finds its call on the stream.
    stream.on('response', onResponse);
    stream.on('trailers', onTrailers);
    stream.on('data', onData);
    stream.on('error', onError);
    stream.on('close', onUnaryClose);
  }

  /**
   * Opens one call of any kind (the gRPC proxy relays streams through it): the request
   * headers are sent, the caller writes the framed messages and reads the answer. An
   * Error when no stream could be opened (closed client, dead connection).
   */
  open(path: string, headers: OutgoingHttpHeaders, timeoutMs?: number): ClientHttp2Stream | Error {
    headers[':method'] = 'POST';
    headers[':path'] = path;
    headers['content-type'] = 'application/grpc';
    headers.te = 'trailers';
    if (timeoutMs !== undefined) headers['grpc-timeout'] = grpcTimeout(timeoutMs);
    const stream = this.start(headers);
    if (!(stream instanceof Error)) stream.once('close', onStreamClose);
    return stream;
  }

  /** Sends the request headers; the stream's 'close' must reach released(). */
  private start(headers: OutgoingHttpHeaders): ClientHttp2Stream | Error {
    if (this.closed) return new Error('the gRPC client is closed');
    const session = this.connected();
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers, REQUEST_OPTIONS);
    } catch (error) {
      // Out of stream ids, or the session died under us: the next call opens a new one.
      if (this.session === session) this.session = undefined;
      session.close();
      return error as Error;
    }
    if (this.active++ === 0) session.ref();
    (stream as CallStream)[OWNER] = this;
    return stream;
  }

  /** A stream of this session closed. */
  released(): void {
    const session = this.session;
    if (--this.active === 0 && session && !session.destroyed) session.unref();
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

/** The request options of every call (request() copies them; preset so none is defaulted). */
const REQUEST_OPTIONS = { endStream: false, weight: 16, parent: 0, exclusive: false } as const;

/** grpc-timeout for a deadline in milliseconds. */
export function grpcTimeout(timeoutMs: number): string {
  return `${Math.max(1, Math.ceil(timeoutMs))}m`;
}

const CALL = Symbol('unary call');
const OWNER = Symbol('h2 session');
type CallStream = ClientHttp2Stream & { [CALL]?: UnaryCall; [OWNER]?: H2Session };

/**
 * One unary call in flight: what the shared stream listeners collect (headers, the one
 * message, trailers) until the stream closes and `settle` gets the outcome.
 */
export class UnaryCall {
  stream: ClientHttp2Stream | undefined = undefined;
  readonly headers: Record<string, string> = {};
  httpStatus = 0;
  statusHeaders: IncomingHttpHeaders | undefined = undefined;
  /** The answer's first chunk; `more` holds the rest when it came in several. */
  first: Buffer | undefined = undefined;
  more: Buffer[] | undefined = undefined;
  received = 0;
  error: Error | undefined = undefined;
  tooLarge = false;

  constructor(readonly maxBytes: number) {}

  /** Receives the outcome once the stream closed (or could not open). */
  settle(outcome: UnaryOutcome): void {
    void outcome;
  }

  /** Resets the stream (our deadline, the client gone); the outcome follows on close. */
  cancel(): void {
    this.stream?.close(constants.NGHTTP2_CANCEL);
  }
}

function onStreamClose(this: CallStream): void {
  this[OWNER]?.released();
}

function onResponse(this: CallStream, incoming: IncomingHttpHeaders): void {
  const call = this[CALL]!;
  call.httpStatus = Number(incoming[':status']);
  // Trailers-only answer: the status travels in the response headers.
  if (incoming['grpc-status'] !== undefined) call.statusHeaders = incoming;
  copyMetadata(incoming, call.headers);
}

function onTrailers(this: CallStream, trailers: IncomingHttpHeaders): void {
  const call = this[CALL]!;
  call.statusHeaders = trailers;
  copyMetadata(trailers, call.headers);
}

function onData(this: CallStream, chunk: Buffer): void {
  const call = this[CALL]!;
  call.received += chunk.length;
  if (call.received > call.maxBytes + 5) {
    // Bounded (max_response_size): stop reading; the caller answers 502 naming the limit.
    call.tooLarge = true;
    call.first = undefined;
    call.more = undefined;
    this.close(constants.NGHTTP2_CANCEL);
    return;
  }
  if (call.first === undefined) call.first = chunk;
  else (call.more ??= []).push(chunk);
}

function onError(this: CallStream, error: Error): void {
  this[CALL]!.error = error;
}

function onUnaryClose(this: CallStream): void {
  const call = this[CALL]!;
  this[OWNER]?.released();
  call.settle(outcomeOf(call, this.rstCode));
}

/** How the call ended, from what its stream delivered. */
function outcomeOf(call: UnaryCall, reset: number | undefined): UnaryOutcome {
  const { headers, statusHeaders, httpStatus, error, maxBytes } = call;
  if (call.tooLarge)
    return {
      code: Code.RESOURCE_EXHAUSTED,
      details: `received a message larger than ${maxBytes} bytes`,
      headers,
      message: undefined,
      tooLarge: true,
    };
  if (statusHeaders !== undefined) {
    const code = Number(statusHeaders['grpc-status']);
    const details = decodeMessage(statusHeaders['grpc-message']);
    if (!Number.isInteger(code) || code < 0 || code > 16)
      return {
        code: Code.UNKNOWN,
        details: `invalid grpc-status ${String(statusHeaders['grpc-status'])}`,
        headers,
        message: undefined,
      };
    // Not OK, or OK without a message (the caller answers UNIMPLEMENTED).
    if (code !== Code.OK || call.received === 0) return { code, details, headers, message: undefined };
    const body = call.more === undefined ? call.first! : Buffer.concat([call.first!, ...call.more], call.received);
    const parsed = unframe(body);
    if (typeof parsed === 'string') return { code: Code.INTERNAL, details: parsed, headers, message: undefined };
    return { code, details, headers, message: parsed };
  }
  if (httpStatus !== 0 && httpStatus !== 200) {
    return {
      code: HTTP_STATUS_CODE.get(httpStatus) ?? Code.UNKNOWN,
      details: `received HTTP status ${httpStatus}`,
      headers,
      message: undefined,
    };
  }
  if (httpStatus === 0 || error) {
    // Never answered: refused, reset or dropped connection.
    const code =
      reset !== undefined && reset !== constants.NGHTTP2_NO_ERROR
        ? (RESET_CODE.get(reset) ?? Code.UNAVAILABLE)
        : Code.UNAVAILABLE;
    return {
      code,
      details: error?.message ?? `stream closed with HTTP/2 code ${reset}`,
      headers,
      message: undefined,
    };
  }
  return {
    code: reset ? (RESET_CODE.get(reset) ?? Code.INTERNAL) : Code.UNKNOWN,
    details: 'no status received',
    headers,
    message: undefined,
  };
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

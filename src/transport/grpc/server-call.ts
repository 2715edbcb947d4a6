/**
 * One incoming gRPC call on a node:http2 stream, as the listener's handlers see it:
 * the request metadata, the deadline, a signal aborted when the client goes away, and
 * the three ways an answer leaves:
 *
 *   headers ─▶ messages ─▶ trailers (grpc-status, grpc-message, metadata)    a normal answer
 *   headers + grpc-status in one HEADERS frame, END_STREAM                    trailers-only
 *
 * A client that resets the stream (RST_STREAM), lets the connection drop or sees its
 * deadline pass before the answer is complete cancels the call: `signal` aborts, and
 * nothing more is written.
 */
import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { parseGrpcTimeout } from '../../flow/deadline.js';
import { Code } from './codes.js';
import { encodeGrpcMessage, frame, framePrefix } from './frames.js';

// What a client sends that is not metadata for the flow (grpc-js removes the same).
const NOT_METADATA = new Set([
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'accept-encoding',
  'te',
  'content-type',
]);

const OK_HEADERS = { ':status': 200, 'content-type': 'application/grpc' } as const;
const OK_TRAILERS = { 'grpc-status': Code.OK } as const;

// Listeners shared by every call (no closure per call): the stream carries its call.
const CALL = Symbol('grpc call');
type Carrier = ServerHttp2Stream & { [CALL]?: GrpcCall };

function onClose(this: Carrier): void {
  this[CALL]?.closed();
}

function onWantTrailers(this: Carrier): void {
  if (!this.destroyed) this.sendTrailers(this[CALL]?.trailers ?? OK_TRAILERS);
}
/** Messages at most this long are copied behind their prefix (one DATA write); longer ones go in two. */
const COPY_BELOW = 64 * 1024;

export class GrpcCall {
  /** Request metadata as flows read it: lower-case keys, repeated keys as arrays, `-bin` as base64. */
  readonly header: Record<string, string | string[]>;
  /** The client's deadline in ms since the epoch, if it set one. */
  readonly deadline: number | undefined;
  /** `grpc-encoding` of the request's messages, when not identity. */
  readonly encoding: string | undefined;
  /** The connection the call came on (the stream forgets it once closed). */
  readonly session: ServerHttp2Stream['session'];
  private controller: AbortController | undefined;
  private headersSent = false;
  /** What the trailers will carry, once the status is known. */
  trailers: OutgoingHttpHeaders | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The answer is complete (status sent) or the client went away. */
  done = false;
  /** The stream closed before the answer was complete. */
  private cancelled = false;

  /** `released` runs once the stream has closed, however the call ended. */
  constructor(
    readonly stream: ServerHttp2Stream,
    readonly path: string,
    rawHeaders: readonly string[],
    private readonly released?: (call: GrpcCall) => void,
  ) {
    this.session = stream.session;
    const header: Record<string, string | string[]> = {};
    let timeout: string | undefined;
    let encoding: string | undefined;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const key = rawHeaders[i]!.toLowerCase();
      let value = rawHeaders[i + 1]!;
      if (key.charCodeAt(0) === 58 /* : */) continue;
      if (NOT_METADATA.has(key)) {
        if (key === 'grpc-timeout') timeout = value;
        else if (key === 'grpc-encoding') encoding = value;
        continue;
      }
      // Binary values travel as base64; flows see them in canonical form.
      if (key.endsWith('-bin')) value = Buffer.from(value, 'base64').toString('base64');
      const existing = header[key];
      if (existing === undefined) header[key] = value;
      else if (typeof existing === 'string') header[key] = [existing, value];
      else existing.push(value);
    }
    this.header = header;
    this.encoding = encoding === 'identity' ? undefined : encoding;
    const ms = timeout === undefined ? undefined : parseGrpcTimeout(timeout);
    this.deadline = ms === undefined ? undefined : Date.now() + ms;
    (stream as Carrier)[CALL] = this;
    stream.on('close', onClose);
  }

  /** The stream has closed: a call without its complete answer was cancelled. */
  closed(): void {
    this.released?.(this);
    if (this.done) return;
    this.done = true;
    this.cancelled = true;
    if (this.timer) clearTimeout(this.timer);
    this.controller?.abort();
  }

  /** Aborted when the client cancels, disconnects or its deadline passes (see `enforceDeadline`). */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.cancelled && !this.controller.signal.aborted) this.controller.abort();
    return this.controller.signal;
  }

  get remoteAddress(): string {
    return this.session?.socket?.remoteAddress ?? '';
  }

  /**
   * Ends the call with DEADLINE_EXCEEDED when the client's deadline passes, as grpc-js
   * does; a unary flow needs no timer (its run is bounded by the same deadline).
   */
  enforceDeadline(): void {
    if (this.deadline === undefined || this.done) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.end(Code.DEADLINE_EXCEEDED, 'Deadline exceeded');
        this.controller?.abort();
      },
      Math.max(0, this.deadline - Date.now()),
    );
  }

  /** Sends the response headers with `metadata` (already checked outgoing headers). */
  sendHeaders(metadata?: OutgoingHttpHeaders): void {
    if (this.headersSent || this.done || this.stream.destroyed) return;
    this.headersSent = true;
    this.stream.respond(metadata ? { ...OK_HEADERS, ...metadata } : OK_HEADERS, { waitForTrailers: true });
    this.stream.on('wantTrailers', onWantTrailers);
  }

  /** Writes one message (headers first if not sent); false when the client's window is full. */
  write(message: Buffer): boolean {
    if (this.done || this.stream.destroyed) return true;
    if (!this.headersSent) this.sendHeaders();
    if (message.length < COPY_BELOW) return this.stream.write(frame(message));
    this.stream.write(framePrefix(message.length));
    return this.stream.write(message);
  }

  /** Writes raw DATA bytes (a relayed stream, already framed). */
  writeRaw(chunk: Buffer): boolean {
    if (this.done || this.stream.destroyed) return true;
    return this.stream.write(chunk);
  }

  /** The one-message answer of a unary call: headers, message and OK trailers. */
  answer(message: Buffer, metadata?: OutgoingHttpHeaders): void {
    if (this.done || this.stream.destroyed) return;
    this.sendHeaders(metadata);
    this.finish(Code.OK, '', undefined);
    this.stream.end(frame(message));
  }

  /**
   * Ends the call with a status: trailers-only when nothing was sent yet (and a client
   * still sending is then told to stop), else in the trailers after what was written.
   */
  end(code: number, details: string, metadata?: OutgoingHttpHeaders): void {
    if (this.done || this.stream.destroyed) return;
    if (!this.headersSent) {
      this.done = true;
      if (this.timer) clearTimeout(this.timer);
      this.headersSent = true;
      const headers: OutgoingHttpHeaders = { ...OK_HEADERS, ...metadata, 'grpc-status': code };
      if (details) headers['grpc-message'] = encodeGrpcMessage(details);
      this.stream.respond(headers, { endStream: true });
      this.stopReading();
      return;
    }
    this.finish(code, details, metadata);
    this.stream.end();
  }

  private finish(code: number, details: string, metadata: OutgoingHttpHeaders | undefined): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    if (!metadata && !details && code === Code.OK) return; // OK_TRAILERS
    const trailers: OutgoingHttpHeaders = metadata ? { ...metadata, 'grpc-status': code } : { 'grpc-status': code };
    if (details) trailers['grpc-message'] = encodeGrpcMessage(details);
    this.trailers = trailers;
  }

  /** The answer is out; a client still sending is told to stop (RST_STREAM NO_ERROR). */
  private stopReading(): void {
    if (this.stream.readableEnded || this.stream.destroyed) return;
    this.stream.close(constants.NGHTTP2_NO_ERROR);
    // Node destroys the stream only once its readable side ends: what is buffered (a
    // paused proxy call) is dropped.
    this.stream.resume();
  }
}

/**
 * Server-streaming gRPC calls for stream flows on `node:http2` (H2Session.open): one
 * request message out, the answer's messages yielded one by one as they arrive.
 *
 *   HEADERS + DATA [request] END_STREAM ─▶
 *   ◀─ HEADERS ◀─ DATA [m1][m2]… ◀─ TRAILERS grpc-status
 *
 * The HTTP/2 stream is paused while decoded messages wait for the reader, so a slow SSE
 * or websocket client slows the upstream through HTTP/2 flow control instead of filling
 * memory. Leaving the loop early or aborting `signal` cancels the call (RST_STREAM
 * CANCEL: the upstream sees CANCELLED); a non-OK status ends the iteration with a
 * CallError; each message is bounded by the call's `max_response_size`. The whole stream
 * may last as long as the client listens: no deadline. Resolver targets (dns:///,
 * unix:///) and discovered services go through the grpc-js stream caller, imported then.
 */
import { constants, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { CallPlan, OutgoingCall, PreparedStream } from '../../compile/plan.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../compile/limits.js';
import { CallError } from '../../errors.js';
import { tooLarge } from '../http/read-capped.js';
import { Code } from './codes.js';
import { FrameParser, frame } from './frames.js';
import { metadataHeaders } from './h2-metadata.js';
import { decodeMessage, H2Session } from './h2-session.js';
import { decodeUpstreamMessage, messageCodec } from './message.js';
import { grpcCodeName, grpcToHttp } from './status.js';
import type { StreamCaller } from './stream-caller.js';
import { needsResolver } from './target.js';

export function createH2StreamCaller(): StreamCaller {
  const sessions = new Map<string, H2Session>();
  let resolving: Promise<StreamCaller> | undefined;
  return {
    prepare(call: CallPlan): PreparedStream {
      const target = call.service.grpc ?? { target: call.service.host, secure: false };
      if (needsResolver(target.target) || call.service.discovery) {
        resolving ??= import('./stream-caller.js').then((m) => m.createGrpcStreamCaller());
        const prepared = resolving.then((caller) => caller.prepare(call));
        return async function* viaGrpcJs(out, signal) {
          yield* (await prepared)(out, signal);
        };
      }
      const key = `${target.secure ? 's' : ''}|${target.target}`;
      let session = sessions.get(key);
      if (!session) sessions.set(key, (session = new H2Session({ authority: target.target, secure: target.secure })));
      return prepareStream(call, session);
    },
    async close(): Promise<void> {
      for (const session of sessions.values()) session.close();
      sessions.clear();
      if (resolving) await (await resolving).close();
    },
  };
}

function prepareStream(call: CallPlan, session: H2Session): PreparedStream {
  const what = `${call.service.fullName}.${call.method.name}`;
  const path = `/${call.service.fullName}/${call.method.name}`;
  const request = messageCodec(call.method.requestType);
  const response = messageCodec(call.method.responseType);
  const maxBytes = call.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const aborted = (): CallError => new CallError(`call to ${what} aborted: the client went away`, 499);

  return async function* openStream(out: OutgoingCall, signal: AbortSignal): AsyncGenerator<unknown> {
    if (signal.aborted) throw aborted();
    const payload = request.encode(out.body);
    const headers = metadataHeaders(out.headers);
    headers['x-request-id'] = out.requestId;
    const stream = session.open(path, headers);
    if (stream instanceof Error)
      throw new CallError(`upstream ${what} failed: ${stream.message}`, grpcToHttp(Code.UNAVAILABLE), {
        body: { message: stream.message, code: Code.UNAVAILABLE },
      });
    const reader = new MessageReader(stream, maxBytes);
    stream.end(frame(payload));
    const onAbort = (): void => reader.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (let bytes = await reader.next(); bytes !== undefined; bytes = await reader.next()) {
        yield decodeUpstreamMessage(response, bytes, what, 'sent');
      }
      if (signal.aborted) throw aborted();
      if (reader.tooLarge) throw tooLarge(what, maxBytes);
      const { code, details } = reader.status();
      if (code !== Code.OK)
        throw new CallError(`upstream ${what} failed: ${details || grpcCodeName(code)}`, grpcToHttp(code), {
          body: { message: details, code },
        });
    } finally {
      signal.removeEventListener('abort', onAbort);
      // Still open when the reader stopped early or failed: tell the upstream.
      reader.cancel();
    }
  };
}

/** The answer's messages, pulled one at a time; the stream is paused while some wait. */
class MessageReader {
  private readonly queue: Buffer[] = [];
  private readonly parser: FrameParser;
  private wake: (() => void) | undefined;
  private ended = false;
  private httpStatus = 0;
  private trailers: IncomingHttpHeaders | undefined;
  private malformed: string | undefined;
  tooLarge = false;

  constructor(
    private readonly stream: ClientHttp2Stream,
    maxBytes: number,
  ) {
    this.parser = new FrameParser(maxBytes, (compressed, message) => {
      if (compressed) this.malformed ??= 'compressed message, but no compression was offered';
      else this.queue.push(message);
    });
    stream.on('response', (headers) => {
      this.httpStatus = Number(headers[':status']);
      if (headers['grpc-status'] !== undefined) this.trailers = headers; // trailers-only
    });
    stream.on('trailers', (trailers) => (this.trailers = trailers));
    stream.on('data', (chunk: Buffer) => {
      const error = this.parser.push(chunk);
      if (error) {
        this.tooLarge = true;
        this.cancel();
      } else if (this.malformed) this.cancel();
      if (this.queue.length > 0) stream.pause();
      this.notify();
    });
    stream.on('error', () => undefined); // the status below carries it
    stream.once('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  async next(): Promise<Buffer | undefined> {
    for (;;) {
      const message = this.queue.shift();
      if (message !== undefined) return message;
      if (this.ended || this.tooLarge || this.malformed) return undefined;
      if (this.stream.isPaused()) this.stream.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  cancel(): void {
    if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_CANCEL);
  }

  /** How the call ended, once `next()` has answered undefined. */
  status(): { code: number; details: string } {
    if (this.malformed) return { code: Code.INTERNAL, details: this.malformed };
    if (this.trailers) {
      const code = Number(this.trailers['grpc-status']);
      const details = decodeMessage(this.trailers['grpc-message']);
      return Number.isInteger(code) && code >= 0 && code <= 16
        ? { code, details }
        : { code: Code.UNKNOWN, details: `invalid grpc-status ${String(this.trailers['grpc-status'])}` };
    }
    if (this.httpStatus !== 0 && this.httpStatus !== 200)
      return { code: Code.UNKNOWN, details: `received HTTP status ${this.httpStatus}` };
    if (this.httpStatus === 0) return { code: Code.UNAVAILABLE, details: 'the upstream did not answer' };
    return { code: Code.UNKNOWN, details: 'the stream ended without a status' };
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

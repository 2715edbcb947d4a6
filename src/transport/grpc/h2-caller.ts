/**
 * gRPC caller on `node:http2` (h2-session.ts), driven by the loaded descriptors: one
 * HTTP/2 connection per upstream target, shared by every method on it. `prepare()` builds
 * the path and the message codecs once; a call encodes, sends one frame, decodes one.
 * Behaves as the grpc-js caller did (caller.ts keeps the shared pieces): a non-OK code is a
 * result with the mapped HTTP status; only our own deadline (504), the client going away
 * (499) and an undecodable answer (502) throw.
 */
import type { OutgoingHttpHeaders, SecureClientSessionOptions } from 'node:http2';
import type { Logger } from 'pino';
import type { CallPlan, CallResult, OutgoingCall, PreparedCall } from '../../compile/plan.js';
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_UPSTREAM_TIMEOUT_MS } from '../../compile/limits.js';
import { CallError } from '../../errors.js';
import { tooLarge } from '../http/read-capped.js';
import { watchAbort } from '../../shared/abort-watch.js';
import type { Caller } from '../caller.js';
import type { Discovery } from '../../discovery/resolver.js';
import { Code } from './codes.js';
import { grpcTimeout, H2Session, UnaryCall, type UnaryOutcome } from './h2-session.js';
import { decodeUpstreamMessage, messageCodec } from './message.js';
import { addMetadata } from './h2-metadata.js';
import { grpcCodeName, grpcToHttp } from './status.js';
import { needsResolver, type GrpcTarget } from './target.js';

export interface H2GrpcCallerOptions {
  logger?: Logger;
  /** Resolvers for services found through discovery (those calls go through grpc-js). */
  discovery?: Discovery;
  /** TLS settings for `https://`/`grpcs://` hosts (a private CA in tests); default: system roots. */
  tls?: SecureClientSessionOptions;
}

export function createH2GrpcCaller(options: H2GrpcCallerOptions = {}): Caller {
  const sessions = new Map<string, H2Session>();
  // Resolver targets (dns:///, unix:///) go through grpc-js, imported only if one is used.
  let resolving: Promise<Caller> | undefined;
  const viaGrpcJs = (call: CallPlan): PreparedCall => {
    resolving ??= import('./caller.js').then((m) =>
      m.createGrpcCaller({ logger: options.logger, ...(options.discovery ? { discovery: options.discovery } : {}) }),
    );
    const prepared = resolving.then((caller) => caller.prepare(call));
    return async (out, signal) => (await prepared)(out, signal);
  };
  const sessionFor = ({ target, secure }: GrpcTarget): H2Session => {
    const key = `${secure ? 's' : ''}|${target}`;
    let session = sessions.get(key);
    if (!session) {
      session = new H2Session({ authority: target, secure, tls: options.tls });
      sessions.set(key, session);
    }
    return session;
  };
  return {
    prepare(call: CallPlan): PreparedCall {
      const what = `${call.service.fullName}.${call.method.name}`;
      // Compile parsed the host (and reported a missing or malformed one).
      const target = call.service.grpc;
      if (!target || target.target === '') {
        return () =>
          Promise.reject(new CallError(`service ${call.service.fullName} has no host to call ${what} on`, 502));
      }
      if (needsResolver(target.target) || call.service.discovery) return viaGrpcJs(call);
      for (const [side, type] of [
        ['request', call.method.requestType],
        ['response', call.method.responseType],
      ] as const) {
        if (!type)
          options.logger?.warn(`${what}: no ${side} type is known, so the ${side} travels as an empty message`);
      }
      return prepareCall(call, sessionFor(target), what, options.logger);
    },
    async close(): Promise<void> {
      for (const session of sessions.values()) session.close();
      sessions.clear();
      if (resolving) await (await resolving).close();
    },
  };
}

function prepareCall(call: CallPlan, session: H2Session, what: string, logger: Logger | undefined): PreparedCall {
  const path = `/${call.service.fullName}/${call.method.name}`;
  const request = messageCodec(call.method.requestType);
  const response = messageCodec(call.method.responseType);
  // Compile always sets both; the fallbacks only serve plans built by hand (tests).
  const timeoutMs = call.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const maxResponseBytes = call.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  const grpcTimeoutHeader = grpcTimeout(timeoutMs);

  return async function invokeGrpc(out: OutgoingCall, signal: AbortSignal): Promise<CallResult> {
    if (signal.aborted) throw aborted(what, undefined);
    let payload: Buffer;
    try {
      payload = request.encode(out.body);
    } catch (error) {
      throw new CallError(`request to ${what} does not fit ${request.typeName}: ${(error as Error).message}`, 500, {
        cause: error,
      });
    }
    // Built whole, in one shape: metadata cannot override the fixed ones (outgoingKey drops them).
    const headers: OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': grpcTimeoutHeader,
    };
    addMetadata(out.headers, headers);
    headers['x-request-id'] = out.requestId;

    const call = new TimedCall(maxResponseBytes);
    const outcome = await call.run(session, headers, payload, timeoutMs, signal);
    if (call.timedOut)
      throw new CallError(`upstream ${what} timed out after ${timeoutMs}ms`, 504, { cause: statusError(outcome) });
    if (signal.aborted) throw aborted(what, outcome);
    if (outcome.tooLarge) throw tooLarge(what, maxResponseBytes);
    if (outcome.code === Code.OK && outcome.message !== undefined) {
      try {
        const body = decodeUpstreamMessage(response, outcome.message, what, 'answered with');
        return { status: 200, headers: outcome.headers, body };
      } catch (failure) {
        logger?.debug({ err: failure, call: what, requestId: out.requestId }, 'upstream call failed');
        throw failure;
      }
    }
    const code = outcome.code === Code.OK ? Code.UNIMPLEMENTED : outcome.code; // OK without a message
    return {
      status: grpcToHttp(code),
      headers: outcome.headers,
      body: { message: outcome.details || grpcCodeName(code), code },
    };
  };
}

/** A unary call with our deadline and the client's signal: both cancel the stream. */
class TimedCall extends UnaryCall {
  private resolve: ((outcome: UnaryOutcome) => void) | undefined = undefined;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private unwatch: (() => void) | undefined = undefined;
  timedOut = false;

  run(
    session: H2Session,
    headers: OutgoingHttpHeaders,
    payload: Buffer,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<UnaryOutcome> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.timer = setTimeout(onDeadline, timeoutMs, this);
      this.unwatch = watchAbort(signal, () => this.cancel());
      session.send(headers, payload, this);
    });
  }

  override settle(outcome: UnaryOutcome): void {
    clearTimeout(this.timer);
    this.unwatch?.();
    this.resolve?.(outcome);
  }
}

function onDeadline(call: TimedCall): void {
  call.timedOut = true;
  call.cancel();
}

function aborted(what: string, outcome: UnaryOutcome | undefined): CallError {
  return new CallError(`call to ${what} aborted: the client went away`, 499, {
    code: 'MAESTRO_ERR_ABORTED',
    cause: outcome ? statusError(outcome) : undefined,
  });
}

function statusError(outcome: UnaryOutcome): Error {
  return new Error(`${grpcCodeName(outcome.code)}: ${outcome.details}`);
}

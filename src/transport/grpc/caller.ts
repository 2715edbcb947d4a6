/**
 * gRPC caller on grpc-js, driven by the loaded descriptors (no generated code): one
 * Client (one channel) per upstream target, shared by every method of every service on
 * it. `prepare()` builds the method path and the request/response serializers once; a
 * call only encodes, sends and decodes.
 *
 *   OutgoingCall ─▶ body ─ request type ─▶ bytes ─▶ /pkg.Service/Method  (+ metadata, deadline)
 *                ◀─ CallResult {status 200, headers, body} ◀─ response type ◀─ bytes
 *                ◀─ CallResult {status grpcToHttp(code), body {message, code}}  (non-OK)
 *
 * A non-OK code is a result, as a non-2xx is for HTTP; only our own deadline (504), the
 * client going away (499) and an undecodable answer (502) throw.
 */
import { Client, credentials, Metadata, status as Code, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { CallPlan, CallResult, GrpcHost, OutgoingCall, PreparedCall } from '../../compile/plan.js';
import { CallError } from '../../errors.js';
import type { Caller } from '../caller.js';
import { createDiscovery, hostPort, type Discovery } from '../../discovery/resolver.js';
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_UPSTREAM_TIMEOUT_MS } from '../../compile/limits.js';
import { tooLarge } from '../http/read-capped.js';
import { decodeUpstreamMessage, messageCodec, type MessageCodec } from './message.js';
import { metadataToHeaders, setMetadata } from './metadata.js';
import { grpcCodeName, grpcToHttp } from './status.js';

export interface GrpcCallerOptions {
  logger?: Logger;
  /** Resolvers for services with `resolver = …` (default: one made here, closed with the caller). */
  discovery?: Discovery;
}

/** Channels to instances named by discovery kept at once; the least recently used goes first. */
const MAX_DISCOVERED = 64;

// grpc-js moves Buffers both ways; encoding and decoding happen around the call so
// their failures become precise CallErrors instead of a generic INTERNAL status.
const passThrough = (value: Buffer): Buffer => value;

const TOO_LARGE = /Received message larger than max/i;

// grpc-js fires its deadline timer at the deadline; the margin absorbs clock rounding.
const DEADLINE_MARGIN_MS = 5;

export function createGrpcCaller(options: GrpcCallerOptions = {}): Caller {
  const clients = new Map<string, Client>();
  const discovered = new Map<string, Client>();
  const discovery = options.discovery ?? createDiscovery({ logger: options.logger });
  // The answer size cap is a channel option: one channel per target and cap.
  const clientFor = ({ target, secure }: GrpcHost, maxResponseBytes: number, transient = false): Client => {
    const key = `${secure ? 's' : ''}|${target}|${maxResponseBytes}`;
    let client = clients.get(key) ?? discovered.get(key);
    if (transient && client && discovered.delete(key)) discovered.set(key, client); // most recent last
    if (!client) {
      client = new Client(target, secure ? credentials.createSsl() : credentials.createInsecure(), {
        'grpc.max_receive_message_length': maxResponseBytes,
      });
      if (!transient) clients.set(key, client);
      else {
        if (discovered.size >= MAX_DISCOVERED) {
          const [oldestKey, oldest] = discovered.entries().next().value as [string, Client];
          discovered.delete(oldestKey);
          oldest.close();
        }
        discovered.set(key, client);
      }
    }
    return client;
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
      for (const [side, type] of [
        ['request', call.method.requestType],
        ['response', call.method.responseType],
      ] as const) {
        if (!type)
          options.logger?.warn(`${what}: no ${side} type is known, so the ${side} travels as an empty message`);
      }
      const maxResponseBytes = call.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
      const plan = call.service.discovery;
      if (plan) {
        // The configured host names the service (compile split it); each call dials the instance its resolver names.
        const { name, defaultPort, scheme } = plan.lookup;
        const resolver = discovery.resolver(plan, name, defaultPort, scheme);
        return prepareCall(
          call,
          async (signal) =>
            clientFor({ target: hostPort(await resolver.next(signal)), secure: target.secure }, maxResponseBytes, true),
          what,
          options.logger,
        );
      }
      const client = clientFor(target, maxResponseBytes);
      return prepareCall(call, () => client, what, options.logger);
    },
    async close(): Promise<void> {
      discovery.close();
      // Client.close lets calls in flight finish and refuses new ones.
      for (const client of [...clients.values(), ...discovered.values()]) client.close();
      clients.clear();
      discovered.clear();
    },
  };
}

type ClientOf = (signal: AbortSignal) => Client | Promise<Client>;

function prepareCall(call: CallPlan, clientOf: ClientOf, what: string, logger: Logger | undefined): PreparedCall {
  const path = `/${call.service.fullName}/${call.method.name}`;
  const request: MessageCodec = messageCodec(call.method.requestType);
  const response: MessageCodec = messageCodec(call.method.responseType);
  const timeoutMs = call.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const maxResponseBytes = call.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  return function invokeGrpc(out: OutgoingCall, signal: AbortSignal): Promise<CallResult> {
    if (signal.aborted) return Promise.reject(aborted(what, undefined));
    const client = clientOf(signal);
    // A configured host's client is at hand; a discovered one waits for its resolver.
    return client instanceof Client ? send(client, out, signal) : client.then((c) => send(c, out, signal));
  };

  function send(client: Client, out: OutgoingCall, signal: AbortSignal): Promise<CallResult> {
    let payload: Buffer;
    try {
      payload = request.encode(out.body);
    } catch (error) {
      return Promise.reject(
        new CallError(`request to ${what} does not fit ${request.typeName}: ${(error as Error).message}`, 500, {
          cause: error,
        }),
      );
    }
    const metadata = setMetadata(new Metadata(), out.headers);
    metadata.set('x-request-id', out.requestId);
    const deadline = Date.now() + timeoutMs;

    return new Promise<CallResult>((resolve, reject) => {
      let headers: Record<string, string> = {};
      let answer: Buffer | undefined;
      const onAbort = (): void => pending.cancel();
      const pending = client.makeUnaryRequest<Buffer, Buffer>(
        path,
        passThrough,
        passThrough,
        payload,
        metadata,
        deadline === undefined ? {} : { deadline },
        (_error: ServiceError | null, value?: Buffer) => {
          answer = value;
        },
      );
      pending.on('metadata', (received: Metadata) => {
        headers = metadataToHeaders(received);
      });
      // 'status' follows the callback on every path and also carries the trailers.
      pending.on('status', (status: StatusObject) => {
        signal.removeEventListener('abort', onAbort);
        metadataToHeaders(status.metadata, headers);
        try {
          resolve(settle(status, answer, headers, deadline, signal.aborted));
        } catch (error) {
          logger?.debug({ err: error, call: what, requestId: out.requestId }, 'upstream call failed');
          reject(error);
        }
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  function settle(
    status: StatusObject,
    answer: Buffer | undefined,
    headers: Record<string, string>,
    deadline: number | undefined,
    clientGone: boolean,
  ): CallResult {
    if (status.code === Code.OK && answer !== undefined) {
      return { status: 200, headers, body: decodeUpstreamMessage(response, answer, what, 'answered with') };
    }
    if (status.code === Code.CANCELLED && clientGone) throw aborted(what, status);
    // Our deadline elapsed, rather than an upstream relaying its own upstream's timeout.
    if (
      status.code === Code.DEADLINE_EXCEEDED &&
      deadline !== undefined &&
      Date.now() >= deadline - DEADLINE_MARGIN_MS
    ) {
      throw new CallError(`upstream ${what} timed out after ${timeoutMs}ms`, 504, { cause: statusError(status) });
    }
    // grpc-js refused an answer over grpc.max_receive_message_length: our cap, not the upstream's.
    if (status.code === Code.RESOURCE_EXHAUSTED && TOO_LARGE.test(status.details))
      throw tooLarge(what, maxResponseBytes);
    const code = status.code === Code.OK ? Code.UNIMPLEMENTED : status.code; // OK without a message
    return { status: grpcToHttp(code), headers, body: { message: status.details || grpcCodeName(code), code } };
  }
}

function aborted(what: string, status: StatusObject | undefined): CallError {
  return new CallError(`call to ${what} aborted: the client went away`, 499, {
    code: 'MAESTRO_ERR_ABORTED',
    cause: status ? statusError(status) : undefined,
  });
}

function statusError(status: StatusObject): Error {
  return new Error(`${grpcCodeName(status.code)}: ${status.details}`);
}

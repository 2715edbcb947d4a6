/**
 * HTTP caller on undici: one keep-alive Pool per upstream origin (and TLS options),
 * shared by every method of every service on that origin. Compile has parsed the host and
 * path (`CallPlan.http`) and the transport options (`CallPlan.httpOptions`); `prepare()`
 * picks the pool, the HTTP method and the base headers once; a call only joins strings,
 * encodes the body and waits.
 *
 *   OutgoingCall ─▶ path (:name from params, else body) + query (other params)
 *                ─▶ body (rest of the message, request codec; none for GET/HEAD/DELETE)
 *                ─▶ origin (as written, or the instance a discovery resolver names)
 *                ─▶ pool.dispatch (dispatch.ts) ─▶ redirects followed ─▶ CallResult (non-2xx is a result)
 */
import type { Logger } from 'pino';
import type { CallPlan, CallResult, OutgoingCall, PreparedCall } from '../../compile/plan.js';
import { CallError } from '../../errors.js';
import { encoderOf } from '../../codec/codec.js';
import { BODYLESS_METHODS } from '../../shared/http.js';
import type { Caller } from '../caller.js';
import { createDiscovery, hostPort, type Discovery } from '../../discovery/resolver.js';
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_UPSTREAM_TIMEOUT_MS } from '../../compile/limits.js';
import { decodeUpstreamBody, flattenHeaders, transportError } from './call-result.js';
import { nextHop, type Hop } from './redirect.js';
import { PoolSet } from './pools.js';
import type { UpstreamTarget } from '../../compile/plan.js';
import { dispatchRequest, DispatchTimeout } from './dispatch.js';
import { tooLarge } from './read-capped.js';
import { paramText } from './upstream-url.js';

export interface HttpCallerOptions {
  logger?: Logger;
  /** Resolvers for services with `resolver = …` (default: one made here, closed with the caller). */
  discovery?: Discovery;
  /** Connections per origin (default 64). */
  connections?: number;
}

// A flow may not set framing headers: undici rejects some and others would corrupt the stream.
const RESERVED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'te',
  'trailer',
]);

/** For a service with `resolver = …`: a function giving the origin of the next call's instance. */
function discoveredTarget(
  call: CallPlan,
  discovery: Discovery,
): ((signal: AbortSignal) => Promise<string>) | undefined {
  const plan = call.service.discovery;
  if (!plan) return undefined;
  // Compile split the configured host (plan.lookup); only the instance changes per call.
  const { name, defaultPort, scheme } = plan.lookup;
  const resolver = discovery.resolver(plan, name, defaultPort, scheme);
  return async (signal) => `${scheme}://${hostPort(await resolver.next(signal))}`;
}

export function createHttpCaller(options: HttpCallerOptions = {}): Caller {
  const pools = new PoolSet(options.connections ?? 64);
  const discovery = options.discovery ?? createDiscovery({ logger: options.logger });
  return {
    prepare(call: CallPlan): PreparedCall {
      const what = `${call.service.fullName}.${call.method.name}`;
      // Compile parsed the host and path (and reported a missing or malformed one).
      const target = call.http;
      if (!target)
        return () =>
          Promise.reject(new CallError(`service ${call.service.fullName} has no http host to call ${what} on`, 502));
      const resolver = discoveredTarget(call, discovery);
      return prepareCall(call, target, pools, what, options.logger, resolver);
    },
    async close(): Promise<void> {
      discovery.close();
      await pools.close();
    },
  };
}

function prepareCall(
  call: CallPlan,
  target: UpstreamTarget,
  pools: PoolSet,
  what: string,
  logger: Logger | undefined,
  resolver: ((signal: AbortSignal) => Promise<string>) | undefined,
): PreparedCall {
  const { service, method: methodPlan } = call;
  // Compile always sets both; the fallbacks only serve plans built by hand (tests).
  const timeoutMs = call.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const maxResponseBytes = call.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const cap = { bytes: maxResponseBytes, error: () => tooLarge(what, maxResponseBytes) };
  const staticPool = resolver ? undefined : pools.fixed(target.origin, call.httpOptions);
  const followRedirects = call.httpOptions?.followRedirects ?? true;
  const codec = service.requestCodec ?? service.codec;
  const answerCodec = service.responseCodec ?? service.codec;
  const method =
    methodPlan.httpMethod?.toUpperCase() ||
    (methodPlan.requestType !== undefined || call.body !== undefined ? 'POST' : 'GET');
  const sendsBody = !BODYLESS_METHODS.has(method);
  const { literals, names, query: staticQuery, authorization } = target;
  const pathNames = new Set(names);
  const baseHeaders: Record<string, string> = { accept: answerCodec.contentType };
  if (sendsBody) baseHeaders['content-type'] = codec.contentType;
  if (authorization) baseHeaders.authorization = authorization;

  /** Joins the path, and returns the body without the fields the path consumed. */
  const buildPath = (out: OutgoingCall): { path: string; body: Record<string, unknown> | undefined } => {
    let body = out.body;
    let path = literals[0]!;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      let value: unknown = out.params[name];
      if (value === undefined && body !== undefined && name in body) {
        value = body[name];
        if (body === out.body) body = { ...body }; // the executor keeps the request for rollbacks
        delete body[name];
      }
      path += encodeURIComponent(paramText(value)) + literals[i + 1]!;
    }
    let query = staticQuery;
    for (const key in out.params) {
      if (pathNames.has(key)) continue;
      const pair = `${encodeURIComponent(key)}=${encodeURIComponent(out.params[key]!)}`;
      query = query === '' ? pair : `${query}&${pair}`;
    }
    return { path: query === '' ? path : `${path}?${query}`, body };
  };

  const encode = encoderOf(codec, methodPlan.requestType);
  const encodeBody = (body: Record<string, unknown> | undefined): Uint8Array | string | undefined => {
    if (!sendsBody) return undefined;
    try {
      return encode(body ?? {});
    } catch (error) {
      throw new CallError(
        `request to ${what} could not be encoded as ${codec.name}: ${(error as Error).message}`,
        500,
        { cause: error },
      );
    }
  };

  return async function invokeHttp(out: OutgoingCall, signal: AbortSignal): Promise<CallResult> {
    if (signal.aborted)
      throw new CallError(`call to ${what} aborted: the client went away`, 499, { code: 'MAESTRO_ERR_ABORTED' });
    const { path, body } = buildPath(out);
    const payload = encodeBody(body);
    const headers: Record<string, string> = { ...baseHeaders };
    for (const name in out.headers) {
      const lower = name.toLowerCase();
      if (!RESERVED.has(lower)) headers[lower] = out.headers[name]!;
    }
    headers['x-request-id'] = out.requestId;

    // The timeout and the client's signal end the exchange through undici's own
    // controller (dispatch.ts): no AbortController, no Readable per call.
    try {
      // A discovered service's origin is the instance its resolver names for this call.
      const origin = resolver ? await resolver(signal) : target.origin;
      const pool = staticPool ?? pools.transient(origin, call.httpOptions);
      let response = await dispatchRequest(pool, { path, method, headers, body: payload }, signal, timeoutMs, cap);
      if (followRedirects) {
        let hop: Hop = { origin, path, method, headers, body: payload };
        for (let hops = 0; ; hops++) {
          const location = response.headers.location;
          const next = nextHop(hop, response.status, Array.isArray(location) ? location[0] : location, hops, what);
          if (!next) break;
          hop = next;
          const hopPool = hop.origin === origin ? pool : pools.transient(hop.origin, call.httpOptions);
          response = await dispatchRequest(
            hopPool,
            { path: hop.path, method: hop.method, headers: hop.headers, body: hop.body },
            signal,
            timeoutMs,
            cap,
          );
        }
      }
      const responseHeaders = flattenHeaders(response.headers);
      return {
        status: response.status,
        headers: responseHeaders,
        // An explicit response_codec decodes whatever the Content-Type says (Semaphore did).
        body: decodeUpstreamBody(
          response.status,
          service.responseCodec ? undefined : responseHeaders['content-type'],
          response.bytes,
          answerCodec,
          methodPlan.responseType,
          what,
        ),
      };
    } catch (error) {
      const failure = transportError(error, what, timeoutMs, error instanceof DispatchTimeout, signal.aborted);
      logger?.debug(
        { err: error, call: what, requestId: out.requestId, status: failure.status },
        'upstream call failed',
      );
      throw failure;
    }
  };
}

/**
 * HTTP caller on undici: one keep-alive Pool per upstream origin, shared by every method
 * of every service on that origin. Compile has parsed the host and path (`CallPlan.http`);
 * `prepare()` picks the pool, the HTTP method and the base headers once; a call only joins
 * strings, encodes the body and waits.
 *
 *   OutgoingCall ─▶ path (:name from params, else body) + query (other params)
 *                ─▶ body (rest of the message, service codec; none for GET/HEAD/DELETE)
 *                ─▶ pool.request ─▶ CallResult (non-2xx is a result, not a throw)
 */
import { Pool } from 'undici';
import type { Logger } from 'pino';
import type { CallPlan, CallResult, OutgoingCall, PreparedCall } from '../../compile/plan.js';
import { CallError } from '../../errors.js';
import { BODYLESS_METHODS } from '../../shared/http.js';
import type { Caller } from '../caller.js';
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_UPSTREAM_TIMEOUT_MS } from '../../compile/limits.js';
import { decodeUpstreamBody, flattenHeaders, transportError } from './call-result.js';
import type { UpstreamTarget } from '../../compile/plan.js';
import { readCapped } from './read-capped.js';
import { paramText } from './upstream-url.js';

export interface HttpCallerOptions {
  logger?: Logger;
  /** Connections per origin (default 64). */
  connections?: number;
}

// A flow may not set framing headers: undici rejects some and others would corrupt the stream.
const RESERVED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect', 'te', 'trailer']);

export function createHttpCaller(options: HttpCallerOptions = {}): Caller {
  const pools = new Map<string, Pool>();
  const connections = options.connections ?? 64;
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections, pipelining: 1 });
      pools.set(origin, pool);
    }
    return pool;
  };
  return {
    prepare(call: CallPlan): PreparedCall {
      const what = `${call.service.fullName}.${call.method.name}`;
      // Compile parsed the host and path (and reported a missing or malformed one).
      const target = call.http;
      if (!target) return () => Promise.reject(new CallError(`service ${call.service.fullName} has no http host to call ${what} on`, 502));
      return prepareCall(call, target, poolFor(target.origin), what, options.logger);
    },
    async close(): Promise<void> {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.close()));
    },
  };
}

function prepareCall(call: CallPlan, target: UpstreamTarget, pool: Pool, what: string, logger: Logger | undefined): PreparedCall {
  const { service, method: methodPlan } = call;
  // Compile always sets both; the fallbacks only serve plans built by hand (tests).
  const timeoutMs = call.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const maxResponseBytes = call.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const codec = service.codec;
  const method = methodPlan.httpMethod?.toUpperCase()
    || (methodPlan.requestType !== undefined || call.body !== undefined ? 'POST' : 'GET');
  const sendsBody = !BODYLESS_METHODS.has(method);
  const { literals, names, query: staticQuery, authorization } = target;
  const pathNames = new Set(names);
  const baseHeaders: Record<string, string> = { accept: codec.contentType };
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

  const encodeBody = (body: Record<string, unknown> | undefined): Uint8Array | string | undefined => {
    if (!sendsBody) return undefined;
    try {
      return codec.encode(body ?? {}, methodPlan.requestType);
    } catch (error) {
      throw new CallError(`request to ${what} could not be encoded as ${codec.name}: ${(error as Error).message}`, 500, { cause: error });
    }
  };

  return async function invokeHttp(out: OutgoingCall, signal: AbortSignal): Promise<CallResult> {
    if (signal.aborted) throw new CallError(`call to ${what} aborted: the client went away`, 499, { code: 'MAESTRO_ERR_ABORTED' });
    const { path, body } = buildPath(out);
    const payload = encodeBody(body);
    const headers: Record<string, string> = { ...baseHeaders };
    for (const name in out.headers) {
      const lower = name.toLowerCase();
      if (!RESERVED.has(lower)) headers[lower] = out.headers[name]!;
    }
    headers['x-request-id'] = out.requestId;

    // One controller merges the client's signal and the call's timeout, so the timer
    // is cleared as soon as the answer is in (AbortSignal.timeout would linger).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await pool.request({ path, method, headers, body: payload, signal: controller.signal });
      const responseHeaders = flattenHeaders(response.headers);
      const bytes = await readCapped(response.body, responseHeaders['content-length'], maxResponseBytes, what);
      return {
        status: response.statusCode,
        headers: responseHeaders,
        body: decodeUpstreamBody(response.statusCode, responseHeaders['content-type'], bytes, codec, methodPlan.responseType, what),
      };
    } catch (error) {
      const failure = transportError(error, what, timeoutMs, timedOut, signal.aborted);
      logger?.debug({ err: error, call: what, requestId: out.requestId, status: failure.status }, 'upstream call failed');
      throw failure;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  };
}

/**
 * The handler of a flow endpoint, built once per route: decode the body (endpoint codec,
 * or the one the Content-Type names), collect path and query parameters, run the flow,
 * encode the answer. A body that does not decode or fit the input type is a 400 naming
 * the field, and no upstream is called.
 */
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { Codec } from '../../codec/codec.js';
import { CodecError, encoderOf } from '../../codec/codec.js';
import { codecForContentType } from '../../codec/index.js';
import { DEFAULT_LIMITS, LimitError, type DecodeLimits } from '../../codec/limits.js';
import type { HttpEndpointPlan } from '../../compile/plan.js';
import type { FlowStop } from '../../flow/stop.js';
import type { FlowRequest } from '../../flow/types.js';
import { BODYLESS_METHODS } from '../../shared/http.js';
import type { FlowRunner } from '../listener.js';
import { clientSignal } from '../shared/client-abort.js';
import { sendFailure, toPayload } from './reply.js';
import { routeParams, type RoutePath } from './routes.js';

export function createFlowHandler(
  endpoint: HttpEndpointPlan,
  route: RoutePath,
  executor: FlowRunner,
  limits: DecodeLimits = DEFAULT_LIMITS,
  stop?: FlowStop,
): RouteHandlerMethod {
  const { flow } = endpoint;
  const codec = endpoint.responseCodec ?? endpoint.codec;
  const requestCodec = endpoint.requestCodec;
  const inputType = flow.input.type;
  // Prepared once per route: a typed JSON output has its compiled writer (codec/json-writer.ts).
  const encode = encoderOf(codec, flow.output?.type);
  const status = endpoint.status || 200;
  const wildcard = route.wildcard;

  return async function handleFlow(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (hasEmptyParam(request, route)) {
      reply.callNotFound();
      return reply;
    }
    let input: Record<string, unknown> = {};
    let invalid: string | undefined;
    let invalidStatus = 400;
    if (!BODYLESS_METHODS.has(request.method) && Buffer.isBuffer(request.body) && request.body.byteLength > 0) {
      const bodyCodec = requestCodec ?? pickCodec(request.headers['content-type'], endpoint.codec);
      try {
        input = bodyCodec.decode(request.body, inputType, limits);
      } catch (error) {
        invalid = badBodyMessage(error, bodyCodec);
        // Over a decoder limit: 413 for a count, 400 for a shape (codec/limits.ts).
        if (error instanceof LimitError) invalidStatus = error.status;
      }
    }

    const params = requestParams(request, wildcard);
    const signal = clientSignal(reply.raw, stop);
    const flowRequest: FlowRequest = {
      input,
      header: request.headers,
      params,
      requestId: request.id,
      signal,
      remoteAddress: request.ip,
      endpoint,
    };
    const result =
      invalid === undefined
        ? await executor.run(flow, flowRequest)
        : executor.reject(flow, flowRequest, invalidStatus, invalid);
    if (!result.ok) return sendFailure(reply, result, codec);

    // Encoded before anything is set, so an output that does not fit its type is a clean 500.
    const payload = toPayload(encode(result.body ?? {}));
    reply.code(status).header('content-type', codec.contentType);
    reply.headers(result.header);
    return reply.send(payload);
  };
}

/** Query parameters (first value of each), then path parameters, which win a clash. */
export function requestParams(request: FastifyRequest, wildcard: string | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  const query = request.query as Record<string, string | string[] | undefined> | undefined;
  if (query) {
    for (const name in query) {
      const value = query[name];
      const first = Array.isArray(value) ? value[0] : value;
      if (first !== undefined) params[name] = first;
    }
  }
  routeParams(request.params as Record<string, string | undefined>, wildcard, params);
  return params;
}

function pickCodec(contentType: string | undefined, fallback: Codec): Codec {
  if (contentType === undefined) return fallback;
  return codecForContentType(contentType) ?? fallback;
}

function badBodyMessage(error: unknown, codec: Codec): string {
  const detail = error instanceof Error ? error.message : String(error);
  const field = error instanceof CodecError ? error.field : undefined;
  const named = field && !detail.includes(field) ? ` (field "${field}")` : '';
  return `invalid ${codec.name} request body: ${detail}${named}`;
}

/**
 * Fastify matches `/users/` on `/users/:id` with an empty id; Semaphore's router did not
 * match it at all, so neither do we (the catch-all may be empty, as in httprouter).
 */
export function hasEmptyParam(request: FastifyRequest, route: RoutePath): boolean {
  const params = request.params as Record<string, string | undefined>;
  for (const name of route.names) {
    if (name !== route.wildcard && params[name] === '') return true;
  }
  return false;
}

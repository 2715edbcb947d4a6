/**
 * The query-string parser of the HTTP listener, bounded like a form body: at most
 * `max_fields` pairs are decoded. A longer query string is not parsed at all; the request
 * is answered 413 naming the limit by the hook below, before any route runs.
 */
import { parse } from 'node:querystring';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { countPairs, LimitError } from '../../codec/limits.js';
import { sendError } from './reply.js';

const OVER_LIMIT = Symbol('maestro.query-over-limit');

/** `querystringParser` for fastify: pairs beyond `maxFields` mark the result instead of being read. */
export function boundedQueryParser(maxFields: number): (text: string) => Record<string, unknown> {
  return (text) => {
    if (text.length === 0) return {};
    if (countPairs(text, maxFields) > maxFields) return { [OVER_LIMIT]: true };
    return parse(text, '&', '=', { maxKeys: maxFields }) as Record<string, unknown>;
  };
}

/** onRequest hook: 413 for a query string the parser refused. */
export function queryLimitHook(maxFields: number) {
  const message = new LimitError('maxFields', maxFields, `query string has more than ${maxFields} fields`).message;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const query = request.query as Record<string | symbol, unknown> | undefined;
    if (query && query[OVER_LIMIT] === true) return sendError(reply, 413, message);
    return undefined;
  };
}

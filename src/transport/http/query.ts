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

/** onRequest hook: 413 for a query string the parser refused. Callback style: no promise per request. */
export function queryLimitHook(maxFields: number) {
  const message = new LimitError('maxFields', maxFields, `query string has more than ${maxFields} fields`).message;
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const query = request.query as Record<string | symbol, unknown> | undefined;
    // Answering early from a callback hook: send, and do not call done().
    if (query && query[OVER_LIMIT] === true) void sendError(reply, 413, message);
    else done();
  };
}

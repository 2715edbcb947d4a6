/**
 * GraphQL over HTTP for one schema, on graphql-http's server-agnostic handler:
 *
 *   request ─▶ graphql-http (accept, method, params) ─▶ onSubscribe: cached document
 *           ─▶ execute ─▶ onOperation: exact JSON ─▶ reply
 *
 * graphql-http would parse and validate every query and answer with JSON.stringify,
 * which refuses bigints; the two hooks replace exactly those steps.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { execute, getOperationAST, type ExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import { createHandler, type Request as GraphqlRequest, type Response as GraphqlResponse } from 'graphql-http';
import type { Logger } from 'pino';
import { jsonText } from '../../shared/values.js';
import { clientSignal } from '../shared/client-abort.js';
import { DocumentCache } from './documents.js';
import type { GraphqlContext } from './resolver.js';

type RequestContext = { reply: FastifyReply };
type Incoming = GraphqlRequest<FastifyRequest, RequestContext>;
export type GraphqlRouteHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

const GRAPHQL_RESPONSE = 'application/graphql-response+json; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

export function createGraphqlHandler(schema: GraphQLSchema, logger: Logger): GraphqlRouteHandler {
  const documents = new DocumentCache(schema);
  const handle = createHandler<FastifyRequest, RequestContext, GraphqlContext>({
    schema,
    // Our own graphql functions throughout: a bundler or test runner may load graphql
    // twice (ESM and CJS builds), and graphql-http's instanceof checks would then fail.
    execute,
    getOperationAST,
    onSubscribe(req, params) {
      const prepared = documents.prepare(params.query);
      if (prepared.errors) return respondErrors(req, prepared.errors);
      return {
        schema,
        document: prepared.document,
        operationName: params.operationName ?? undefined,
        variableValues: params.variables ?? undefined,
        rootValue: undefined,
        contextValue: contextOf(req),
      };
    },
    onOperation: (req, _args, result) => respond(req, result),
  });

  return async function handleGraphql(request, reply) {
    try {
      const lenient = lenientJsonBody(request);
      const [body, init] = await handle({
        url: request.url,
        method: request.method,
        headers: lenient ? { ...request.headers, 'content-type': 'application/json' } : request.headers,
        body: lenient ?? bodyOf(request.body),
        raw: request,
        context: { reply },
      });
      reply.code(init.status).headers(init.headers ?? {});
      return reply.send(body ?? undefined);
    } catch (error) {
      // graphql-http only rejects on a bug (ours or its own): log it, answer without details.
      logger.error({ err: error, requestId: request.id }, 'graphql request failed');
      return reply
        .code(500)
        .header('content-type', JSON_TYPE)
        .send(jsonText({ errors: [{ message: 'internal error' }] }));
    }
  };
}

/** One context per HTTP request, shared by every field of the document. */
function contextOf(req: Incoming): GraphqlContext {
  const request = req.raw;
  return {
    header: request.headers,
    // The listener's genReqId already kept a sane x-request-id or made a UUID.
    requestId: request.id,
    signal: clientSignal(req.context.reply.raw),
    remoteAddress: request.ip,
  };
}

/** The execution result as JSON with int64 values written exactly. */
function respond(req: Incoming, result: ExecutionResult): GraphqlResponse {
  const contentType = prefersGraphqlResponse(req.raw.headers.accept) ? GRAPHQL_RESPONSE : JSON_TYPE;
  return [jsonText(result), { status: 200, statusText: 'OK', headers: { 'content-type': contentType } }];
}

/**
 * A document that does not parse or validate: 200 for `application/json` clients, 400
 * for `application/graphql-response+json` ones, as the GraphQL over HTTP spec says.
 */
function respondErrors(req: Incoming, errors: readonly GraphQLError[]): GraphqlResponse {
  const graphqlResponse = prefersGraphqlResponse(req.raw.headers.accept);
  const init = graphqlResponse
    ? { status: 400, statusText: 'Bad Request', headers: { 'content-type': GRAPHQL_RESPONSE } }
    : { status: 200, statusText: 'OK', headers: { 'content-type': JSON_TYPE } };
  return [jsonText({ errors }), init];
}

/**
 * Mirrors graphql-http's choice: the first acceptable type in the Accept list wins, and
 * only `application/graphql-response+json` makes it the new media type.
 */
function prefersGraphqlResponse(accept: string | undefined): boolean {
  for (const entry of (accept ?? '*/*').replace(/\s/g, '').toLowerCase().split(',')) {
    const type = entry.split(';')[0];
    if (type === 'application/graphql-response+json') return true;
    if (type === 'application/json' || type === 'application/*' || type === '*/*') return false;
  }
  return false;
}

/** What fastify parsed, narrowed to what graphql-http accepts. */
function bodyOf(body: unknown): string | Record<string, unknown> | null {
  if (typeof body === 'string') return body;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  return null;
}

/**
 * A POST whose body is JSON under another Content-Type (text/plain, form-urlencoded, none):
 * the parsed object, so graphql-http treats it as the JSON request it is. Semaphore
 * accepted these; anything that is not a JSON object is left to graphql-http to refuse.
 */
function lenientJsonBody(request: FastifyRequest): Record<string, unknown> | undefined {
  if (request.method !== 'POST' || typeof request.body !== 'string') return undefined;
  const type = request.headers['content-type'] ?? '';
  if (/^application\/(graphql-response\+)?json/i.test(type)) return undefined;
  try {
    const parsed: unknown = JSON.parse(request.body);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The GraphQL listener: its own Fastify instance serving the generated schema at
 * `/graphql` and `/` (GET and POST), GraphiQL to browsers on the same paths, and
 * GraphiQL's static files. The schema is built here once; a plan that cannot be turned
 * into a schema fails at start with a ConfigError.
 */
import { listenerTimeouts, serverFactory } from '../http/timeouts.js';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { GraphqlEndpointPlan } from '../../compile/plan.js';
import type { ListenAddress } from '../../compile/plan.js';
import { formatBoundAddress } from '../shared/address.js';
import { requestIdOf } from '../shared/request-id.js';
import type { FlowRunner, Listener } from '../listener.js';
import { ASSET_PREFIX, loadGraphiql, wantsHtml, type Graphiql } from './graphiql.js';
import { createGraphqlHandler, type GraphqlRouteHandler } from './handler.js';
import { buildGraphqlSchema } from './schema.js';

export interface GraphqlListenerOptions {
  /** `host:port` or `:port` (Go syntax, as Semaphore wrote it). */
  address: ListenAddress;
  endpoints: readonly GraphqlEndpointPlan[];
  executor: FlowRunner;
  logger: Logger;
  /** Serve GraphiQL on browser GETs (default true). */
  graphiql?: boolean;
}

export interface GraphqlListener extends Listener {
  /** The generated schema (for tests and `validate`). */
  readonly schema: GraphQLSchema;
  /** The fastify app (the daemon's reloadable slot serves it without listen()). */
  readonly app: FastifyInstance;
}

const PATHS = ['/graphql', '/'];

export function createGraphqlListener(options: GraphqlListenerOptions): GraphqlListener {
  const { host, port } = options.address;
  const logger = options.logger.child({ listener: 'graphql' });
  const schema = buildGraphqlSchema(options.endpoints, options.executor);
  const graphiql = options.graphiql === false ? undefined : loadGraphiql();
  if (options.graphiql !== false && !graphiql)
    logger.warn('GraphiQL assets (graphiql, react, react-dom) are not installed; GraphiQL is off');

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // Same rule as the HTTP listener: a sane incoming x-request-id is kept, else a new one.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => requestIdOf(req.headers),
    forceCloseConnections: 'idle' as const,
    // The HTTP listener's default header, request and idle timeouts (issue #8).
    serverFactory: serverFactory(listenerTimeouts({}), undefined),
  });
  // Semaphore read a JSON body whatever the Content-Type said (`curl -d '{"query":…}'` sends
  // form-urlencoded): every non-JSON body is kept as text and the handler tries it as JSON.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  const handler = createGraphqlHandler(schema, logger);
  for (const url of PATHS) {
    app.route({ method: ['GET', 'POST'], url, handler: graphiql ? withGraphiql(handler, graphiql) : handler });
  }
  if (graphiql) registerAssets(app, graphiql);

  let closing: Promise<void> | undefined;
  return {
    schema,
    app,
    async listen() {
      await app.listen({ host, port });
      return formatBoundAddress(app.server.address());
    },
    close() {
      closing ??= app.close();
      return closing;
    },
  };
}

function withGraphiql(handler: GraphqlRouteHandler, graphiql: Graphiql): GraphqlRouteHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method === 'GET' && wantsHtml(request.headers.accept)) {
      return reply.header('content-type', 'text/html; charset=utf-8').send(graphiql.page);
    }
    return handler(request, reply);
  };
}

function registerAssets(app: FastifyInstance, graphiql: Graphiql): void {
  app.get<{ Params: { file: string } }>(`${ASSET_PREFIX}:file`, (request, reply) => {
    const asset = graphiql.asset(request.params.file);
    if (!asset) return reply.code(404).send({ status: 404, message: 'no such GraphiQL asset' });
    return reply
      .header('content-type', asset.contentType)
      .header('cache-control', 'public, max-age=3600')
      .send(asset.body);
  });
}

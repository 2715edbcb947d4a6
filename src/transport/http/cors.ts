/**
 * CORS from the listener's `origin` list, written by hand (Semaphore answered every
 * method and header for an allowed origin; so do we). Preflights are answered here,
 * before routing, so an endpoint never sees them; other requests only get the headers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

export type CorsHook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Undefined when no origin is configured: no CORS headers at all. */
export function createCorsHook(origins: readonly string[]): CorsHook | undefined {
  if (origins.length === 0) return undefined;
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return async function cors(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const origin = request.headers.origin;
    if (origin === undefined || (!any && !allowed.has(origin))) return undefined;
    reply.header('access-control-allow-origin', any ? '*' : origin);
    if (!any) reply.header('vary', 'origin');
    if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined) {
      reply.header('access-control-expose-headers', 'x-request-id');
      return undefined;
    }
    reply.header('access-control-allow-methods', METHODS);
    reply.header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? '*');
    reply.header('access-control-max-age', '600');
    reply.code(204).send();
    return reply;
  };
}

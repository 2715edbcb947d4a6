/**
 * Endpoint paths are written in Semaphore's (httprouter's) syntax and parsed by compile
 * (compile/route.ts): `:name` matches one segment, `*name` the rest of the path. Fastify
 * spells the catch-all `*` and names it `*`, so the name is kept here and mapped back.
 * httprouter's catch-all value starts with the slash (`/v1/*path` on `/v1/a/b` gives
 * path = "/a/b"); users' templates rely on it.
 */
import type { Route } from '../../compile/plan.js';

export interface RoutePath {
  /** Fastify route syntax. */
  fastify: string;
  /** Name of the catch-all parameter, or undefined. */
  wildcard: string | undefined;
  /** Matches a raw pathname; groups are the parameters in `names` order (for upgrades). */
  matcher: RegExp;
  names: string[];
}

/**
 * Fastify's syntax and the upgrade matcher for a route compile parsed: segments are only
 * joined here, once per endpoint at listener start.
 */
export function routePath(route: Route): RoutePath {
  let fastify = '';
  let source = '^';
  for (const segment of route.segments) {
    if (segment.kind === 'literal') {
      fastify += segment.text;
      source += escapeRegExp(segment.text);
    } else if (segment.kind === 'param') {
      fastify += `:${segment.name}`;
      source += '([^/]+)';
    } else {
      fastify += '*';
      source += '(.*)';
    }
  }
  return { fastify, wildcard: route.wildcard, matcher: new RegExp(`${source}$`), names: [...route.params] };
}

/** Path params as the flow sees them: fastify's `*` renamed, with httprouter's leading slash. */
export function routeParams(
  raw: Record<string, string | undefined>,
  wildcard: string | undefined,
  into: Record<string, string>,
): void {
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    if (name === '*' && wildcard !== undefined) into[wildcard] = `/${value}`;
    else into[name] = value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

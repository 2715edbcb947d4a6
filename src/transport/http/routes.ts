/**
 * Endpoint paths are written in Semaphore's (httprouter's) syntax: `:name` matches one
 * segment, `*name` the rest of the path. Fastify spells the catch-all `*` and names it
 * `*`, so the name is kept here and mapped back. httprouter's catch-all value starts with
 * the slash (`/v1/*path` on `/v1/a/b` gives path = "/a/b"); users' templates rely on it.
 */

export interface RoutePath {
  /** Fastify route syntax. */
  fastify: string;
  /** Name of the catch-all parameter, or undefined. */
  wildcard: string | undefined;
  /** Matches a raw pathname; groups are the parameters in `names` order (for upgrades). */
  matcher: RegExp;
  names: string[];
}

const SEGMENT = /([:*])([A-Za-z_][A-Za-z0-9_]*)?/g;

export function compileRoutePath(path: string): RoutePath {
  let fastify = '';
  let source = '^';
  let wildcard: string | undefined;
  const names: string[] = [];
  let last = 0;
  for (const match of path.matchAll(SEGMENT)) {
    const literal = path.slice(last, match.index);
    fastify += literal;
    source += escapeRegExp(literal);
    last = match.index + match[0].length;
    const name = match[2];
    if (match[1] === '*') {
      wildcard = name ?? '*';
      fastify += '*';
      source += '(.*)';
      names.push(wildcard);
      break; // a catch-all ends the route
    }
    if (name === undefined) {
      // a lone ':' is literal text
      fastify += ':';
      source += ':';
      continue;
    }
    fastify += `:${name}`;
    source += '([^/]+)';
    names.push(name);
  }
  if (wildcard === undefined) {
    const rest = path.slice(last);
    fastify += rest;
    source += escapeRegExp(rest);
  }
  return { fastify, wildcard, matcher: new RegExp(`${source}$`), names };
}

/** Path params as the flow sees them: fastify's `*` renamed, with httprouter's leading slash. */
export function routeParams(raw: Record<string, string | undefined>, wildcard: string | undefined, into: Record<string, string>): void {
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

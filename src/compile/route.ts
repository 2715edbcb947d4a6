/**
 * The one route parser. Endpoint paths are written in Semaphore's (httprouter's) syntax:
 * `:name` matches one segment, `*name` the rest of the path; upstream method paths use
 * `:name` only. Compile parses every path once, here, into segments; the HTTP listener
 * and caller only join them (fastify syntax, the upgrade matcher, the upstream URL).
 */

export type RouteSegment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'wildcard'; readonly name: string };

export interface Route {
  /** As written. */
  readonly text: string;
  readonly segments: readonly RouteSegment[];
  /** Parameter names in path order (the wildcard's included, last). */
  readonly params: readonly string[];
  /** Name of the catch-all parameter, or undefined (`*` alone is named `*`). */
  readonly wildcard: string | undefined;
}

export interface RouteOptions {
  /** Endpoint paths accept `*name`; upstream paths keep `*` as text. */
  wildcard: boolean;
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Parses a path; returns the route, or a message saying what is wrong with it. */
export function parseRoute(text: string, options: RouteOptions): Route | string {
  if (/[\s\p{Cc}]/u.test(text)) return `path "${text}" contains whitespace or a control character`;
  if (options.wildcard && /[?#]/.test(text))
    return `path "${text}" contains "?" or "#": a route is a path only, without query or fragment`;
  // The HTTP router reads `::` as an escaped colon; httprouter read a parameter.
  if (options.wildcard && text.includes('::'))
    return `path "${text}" contains "::", which the HTTP router would read as a literal colon`;
  const segments: RouteSegment[] = [];
  const params: string[] = [];
  let wildcard: string | undefined;
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const marker = c === ':' || (c === '*' && options.wildcard);
    NAME.lastIndex = i + 1;
    const name = marker ? NAME.exec(text)?.[0] : undefined;
    if (!marker || (name === undefined && c === ':')) {
      literal += c; // a lone ':' is literal text
      continue;
    }
    if (literal !== '') segments.push({ kind: 'literal', text: literal });
    literal = '';
    if (params.includes(name ?? '*')) return `path "${text}" names parameter "${name ?? '*'}" twice`;
    if (c === '*') {
      wildcard = name ?? '*';
      segments.push({ kind: 'wildcard', name: wildcard });
      params.push(wildcard);
      if (i + 1 + (name?.length ?? 0) < text.length)
        return `path "${text}": the catch-all "*${name ?? ''}" must end the path`;
      break;
    }
    segments.push({ kind: 'param', name: name! });
    params.push(name!);
    i += name!.length;
    // The HTTP router would read `:id(…)` as a regular expression; httprouter had none.
    if (options.wildcard && text[i + 1] === '(')
      return `path "${text}": "(" right after parameter "${name}" is not allowed (routes have no regular expressions)`;
  }
  if (literal !== '') segments.push({ kind: 'literal', text: literal });
  return { text, segments, params, wildcard };
}

/** The route with every parameter replaced by `:` — two routes with the same shape clash. */
export function routeShape(route: Route): string {
  return route.segments.map((s) => (s.kind === 'literal' ? s.text : s.kind === 'param' ? ':' : '*')).join('');
}

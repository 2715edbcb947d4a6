/**
 * Upstream URLs are split once, at prepare time, into what a call only has to join:
 * the origin (which picks the pool), literal path pieces around `:name` parameters, and
 * any static query. Per call nothing is parsed.
 *
 *   host "https://u:p@api.org/v2/"  +  path "/users/:id/items?full=1"
 *   origin "https://api.org"  literals ["/v2/users/", "/items"]  names ["id"]  query "full=1"
 *   authorization "Basic dTpw"  (credentials never reach a log or an error message)
 */
import { CallError } from '../../errors.js';

export interface UpstreamTarget {
  /** `scheme://host:port`, the pool key. */
  origin: string;
  /** `literals.length === names.length + 1`. */
  literals: string[];
  /** Parameter names in path order. */
  names: string[];
  /** Static query string without `?`, or ''. */
  query: string;
  /** From credentials in the host URL, or undefined. */
  authorization: string | undefined;
}

const PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;

export function parseUpstreamTarget(host: string, path: string | undefined, what: string): UpstreamTarget {
  let url: URL;
  try {
    url = new URL(host.includes('://') ? host : `http://${host}`);
  } catch (error) {
    // The host may carry credentials: name the service, not the value.
    throw new CallError(`service ${what} has an invalid host URL`, 502, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CallError(`service ${what} has a host that is not http(s)`, 502);
  }
  const prefix = url.pathname.replace(/\/+$/, '');
  const [rawPath = '', rawQuery = ''] = (path ?? '').split('?', 2);
  const joined = rawPath === '' ? prefix || '/' : prefix + (rawPath.startsWith('/') ? rawPath : `/${rawPath}`);

  const literals: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const match of joined.matchAll(PARAM)) {
    literals.push(joined.slice(last, match.index));
    names.push(match[1]!);
    last = match.index + match[0].length;
  }
  literals.push(joined.slice(last));

  const query = [url.search.slice(1), rawQuery].filter((q) => q !== '').join('&');
  const authorization = url.username || url.password
    ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
    : undefined;
  return { origin: url.origin, literals, names, query, authorization };
}

/** `http://h/x` → `ws://h/x`; the websocket proxy reuses the HTTP target. */
export function websocketOrigin(origin: string): string {
  return origin.startsWith('https:') ? `wss:${origin.slice(6)}` : `ws:${origin.slice(5)}`;
}

/** Any value a message field may hold, as a path or query string. */
export function paramText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

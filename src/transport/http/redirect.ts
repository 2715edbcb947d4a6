/**
 * Following upstream redirects as Go's http.Client did for Semaphore: at most 10 hops;
 * 301/302/303 turn any method but GET/HEAD into a bodiless GET, 307/308 repeat the method
 * and body; credentials (Authorization, Cookie) are dropped when the origin changes.
 */
import { CallError } from '../../errors.js';

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
export const MAX_REDIRECTS = 10;

export interface Hop {
  origin: string;
  /** Path and query. */
  path: string;
  method: string;
  headers: Record<string, string>;
  body: Uint8Array | string | undefined;
}

/**
 * The request to send after `status` with `location`, or undefined when the answer is
 * not a redirect to follow (no Location header).
 */
export function nextHop(
  current: Hop,
  status: number,
  location: string | undefined,
  hops: number,
  what: string,
): Hop | undefined {
  if (!REDIRECT_STATUSES.has(status) || !location) return undefined;
  if (hops >= MAX_REDIRECTS) throw new CallError(`upstream ${what} redirected more than ${MAX_REDIRECTS} times`, 502);
  let url: URL;
  try {
    url = new URL(location, current.origin + current.path);
  } catch (error) {
    throw new CallError(`upstream ${what} redirected to an invalid location`, 502, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CallError(`upstream ${what} redirected to a location that is not http(s)`, 502);
  const headers = { ...current.headers };
  let { method, body } = current;
  if (status !== 307 && status !== 308 && method !== 'GET' && method !== 'HEAD') {
    method = 'GET';
    body = undefined;
    delete headers['content-type'];
  }
  if (url.origin !== current.origin) {
    delete headers.authorization;
    delete headers.cookie;
  }
  return { origin: url.origin, path: url.pathname + url.search, method, headers, body };
}

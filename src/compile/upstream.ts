/**
 * Upstream hosts and paths, parsed once by compile into what a call only has to join:
 * the origin (which picks the pool), literal path pieces around `:name` parameters, and
 * any static query. Per call, and in transport, nothing is parsed.
 *
 *   host "https://u:p@api.org/v2/"  +  path "/users/:id/items?full=1"
 *   origin "https://api.org"  literals ["/v2/users/", "/items"]  names ["id"]  query "full=1"
 *   authorization "Basic dTpw"  (credentials never reach a log or an error message)
 */
import { parseRoute } from './route.js';

/** A service host for the http transport. */
export interface HttpHost {
  /** `scheme://host:port`, the pool key. */
  readonly origin: string;
  /** Path of the host URL without trailing slashes ('' when none). */
  readonly prefix: string;
  /** Query of the host URL without `?`, or ''. */
  readonly query: string;
  /** From credentials in the host URL, or undefined. */
  readonly authorization: string | undefined;
}

/** Where one HTTP method of a service is called. */
export interface UpstreamTarget {
  readonly origin: string;
  /** `literals.length === names.length + 1`. */
  readonly literals: readonly string[];
  /** Parameter names in path order. */
  readonly names: readonly string[];
  /** Static query string without `?`, or ''. */
  readonly query: string;
  readonly authorization: string | undefined;
}

/** A service host for the grpc transport: what grpc-js dials. */
export interface GrpcHost {
  /** `host:port`, `dns:///host:port`, `unix:///path`. */
  readonly target: string;
  /** `https://` or `grpcs://` in the configured host asks for TLS. */
  readonly secure: boolean;
}

const HOSTNAME = /^([A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)*\.?$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;

/**
 * Parses an http(s) host (a scheme-less `host:port` means http). Messages never repeat
 * the value: it may carry credentials.
 */
export function parseHttpHost(host: string): HttpHost | string {
  const text = host.trim();
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https' && text.includes('://')) {
    return `the host's scheme "${scheme}" is not http or https`;
  }
  const withScheme = scheme === 'http' || scheme === 'https' ? text : `http://${text}`;
  if (!/^https?:\/\/[^/]/i.test(withScheme)) return 'the host is not a URL of the form http(s)://host[:port][/path]';
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return 'the host is not a valid URL';
  }
  if (!HOSTNAME.test(url.hostname) && !IPV6.test(url.hostname)) return 'the host URL has no valid host name';
  const authorization =
    url.username || url.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined;
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, ''), query: url.search.slice(1), authorization };
}

/** Semaphore grpc hosts are `host:port`; an `http(s)://` or `grpc(s)://` prefix is dropped. */
export function parseGrpcHost(host: string): GrpcHost | string {
  let text = host.trim();
  let secure = false;
  const scheme = /^(https?|grpcs?):\/\//i.exec(text);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    secure = name === 'https' || name === 'grpcs';
    text = text.slice(scheme[0].length).replace(/\/+$/, '');
  }
  if (/\s/.test(text)) return 'the grpc host contains whitespace';
  return { target: text, secure };
}

/** Joins a parsed host and a method path (`/users/:id?full=1`) into a call target. */
export function upstreamTarget(host: HttpHost, path: string | undefined): UpstreamTarget | string {
  const [rawPath = '', rawQuery = ''] = (path ?? '').split('?', 2);
  const joined =
    rawPath === '' ? host.prefix || '/' : host.prefix + (rawPath.startsWith('/') ? rawPath : `/${rawPath}`);
  const route = parseRoute(joined, { wildcard: false });
  if (typeof route === 'string') return route;
  const literals: string[] = [''];
  const names: string[] = [];
  for (const segment of route.segments) {
    if (segment.kind === 'literal') literals[literals.length - 1] += segment.text;
    else {
      names.push(segment.name);
      literals.push('');
    }
  }
  const query = [host.query, rawQuery].filter((q) => q !== '').join('&');
  return { origin: host.origin, literals, names, query, authorization: host.authorization };
}

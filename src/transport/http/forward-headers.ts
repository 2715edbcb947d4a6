/**
 * What a proxy changes on the way through (RFC 9110 §7.6.1): hop-by-hop headers stop
 * here, `X-Forwarded-*` say where the request came from, and the request id follows the
 * request so a chain gateway → hub logs one id.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RewritePlan } from '../../compile/plan.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers to drop: the fixed hop-by-hop set plus any the Connection header names. */
function droppedBy(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  const names = (Array.isArray(connection) ? connection.join(',') : connection).split(',');
  const out = new Set<string>();
  for (const name of names) {
    const trimmed = name.trim().toLowerCase();
    if (trimmed !== '') out.add(trimmed);
  }
  return out;
}

/** Copies end-to-end headers; `also` lists extra names to drop (lower-case). */
export function endToEndHeaders(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  also?: ReadonlySet<string>,
): Record<string, string | string[]> {
  const named = droppedBy(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name) || also?.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Copies the end-to-end headers of an answer into `out` (which may hold headers already:
 * these override them), without an intermediate object.
 */
export function copyEndToEnd(
  headers: Record<string, string | string[] | undefined>,
  out: Record<string, string | string[] | number>,
): void {
  const named = droppedBy(headers.connection);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name)) continue;
    out[name] = value;
  }
}

export interface ForwardContext {
  remoteAddress: string | undefined;
  protocol: 'http' | 'https';
  requestId: string;
  /** Evaluated `forward { header { … } }` of the proxy flow. */
  extra: Record<string, string>;
  /** Basic credentials from the forward host URL, if any. */
  authorization: string | undefined;
}

const NOT_FORWARDED = new Set(['host']);

/** Headers for the forwarded request. */
export function forwardRequestHeaders(
  headers: IncomingHttpHeaders,
  context: ForwardContext,
  drop: ReadonlySet<string> = NOT_FORWARDED,
): Record<string, string | string[]> {
  const out = endToEndHeaders(headers, drop);
  const previous = headers['x-forwarded-for'];
  const client = context.remoteAddress ?? 'unknown';
  out['x-forwarded-for'] = previous ? `${Array.isArray(previous) ? previous.join(', ') : previous}, ${client}` : client;
  out['x-forwarded-proto'] = context.protocol;
  if (headers.host !== undefined) out['x-forwarded-host'] = headers.host;
  out['x-request-id'] = context.requestId;
  if (context.authorization !== undefined) out.authorization = context.authorization;
  for (const name in context.extra) out[name.toLowerCase()] = context.extra[name]!;
  return out;
}

/**
 * The first rule whose pattern is found in the path rewrites it (Semaphore searched, it did
 * not anchor); none matching leaves it unchanged.
 */
export function rewritePath(path: string, rules: readonly RewritePlan[]): string {
  for (const rule of rules) {
    rule.pattern.lastIndex = 0; // a /g or /y pattern keeps state between calls
    const match = rule.pattern.exec(path);
    if (!match) continue;
    rule.pattern.lastIndex = 0;
    return rule.expand ? rule.expand(match) : path.replace(rule.pattern, rule.replacement);
  }
  return path;
}

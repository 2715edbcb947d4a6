/**
 * HTTP tokens written in the configuration: header names and request methods. Checked at
 * compile so that a name undici or fastify would refuse at start or per request is a
 * positioned error instead.
 */
import { METHODS } from 'node:http';

// RFC 9110 §5.6.2 token.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isHeaderName(name: string): boolean {
  return TOKEN.test(name);
}

/** Methods the HTTP listener can route (Node's parser knows them all). */
export const LISTENER_METHODS: ReadonlySet<string> = new Set(METHODS);

/** An upstream method may be any token (undici sends it as written). */
export function isMethodToken(method: string): boolean {
  return TOKEN.test(method);
}

/**
 * Request ids, one rule for every listener: an incoming `x-request-id` (HTTP header or
 * gRPC metadata) is kept when it is a non-empty string of at most 200 characters, else a
 * new one is made. The cap keeps a client from writing unbounded text into every log line
 * and every upstream call.
 */
import { randomUUID } from 'node:crypto';

export const MAX_REQUEST_ID_LENGTH = 200;

/** The incoming id when it is sane, else a new one. */
export function requestIdFrom(incoming: unknown): string {
  return typeof incoming === 'string' && incoming !== '' && incoming.length <= MAX_REQUEST_ID_LENGTH
    ? incoming
    : randomUUID();
}

/** The id of a request with these (lower-cased) headers. */
export function requestIdOf(headers: Readonly<Record<string, string | string[] | undefined>>): string {
  return requestIdFrom(headers['x-request-id']);
}

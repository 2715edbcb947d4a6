/**
 * Turning an upstream answer (or the lack of one) into what the executor expects: a
 * CallResult for any status, or a CallError with the status the flow reports. Messages
 * name the service and method, never the URL (hosts may carry credentials).
 */
import type { Codec } from '../../codec/codec.js';
import { codecForContentType } from '../../codec/index.js';
import { CallError } from '../../errors.js';
import type { MessageType } from '../../schema/types.js';

/** Lower-cased names; repeated headers joined with ', '. */
export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * A 2xx body must decode (typed by the response type) or the call fails with 502; any
 * other status is decoded best-effort, falling back to the raw text, because the
 * executor only needs it for `resource.error:` references and error messages.
 */
export function decodeUpstreamBody(
  status: number,
  contentType: string | undefined,
  bytes: Uint8Array,
  fallback: Codec,
  type: MessageType | undefined,
  what: string,
): unknown {
  const ok = status >= 200 && status < 300;
  if (bytes.byteLength === 0) return ok ? {} : undefined;
  const codec = (contentType ? codecForContentType(contentType) : undefined) ?? fallback;
  if (ok) {
    try {
      return codec.decode(bytes, type);
    } catch (error) {
      throw new CallError(
        `upstream ${what} answered ${status} with a body that is not valid ${codec.name}: ${(error as Error).message}`,
        502,
        { cause: error, body: Buffer.from(bytes).toString('utf8') },
      );
    }
  }
  try {
    return codec.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection reset',
  UND_ERR_CLOSED: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'truncated answer',
};

/** Maps whatever undici or the network threw to the flow's CallError. */
export function transportError(
  error: unknown,
  what: string,
  timeoutMs: number | undefined,
  timedOut: boolean,
  clientAborted: boolean,
): CallError {
  if (error instanceof CallError) return error;
  const code = errorCode(error);
  if (timedOut) return new CallError(`upstream ${what} timed out after ${timeoutMs}ms`, 504, { cause: error });
  if (clientAborted) {
    return new CallError(`call to ${what} aborted: the client went away`, 499, {
      code: 'MAESTRO_ERR_ABORTED',
      cause: error,
    });
  }
  if (code !== undefined && TIMEOUT_CODES.has(code))
    return new CallError(`upstream ${what} timed out (${code})`, 504, { cause: error });
  const reason = (code !== undefined && REASONS[code]) || code || 'transport error';
  return new CallError(`upstream ${what} failed: ${reason}`, 502, { cause: error });
}

/** undici wraps socket errors: the useful code may sit on the error or on its cause. */
function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
  }
  return undefined;
}

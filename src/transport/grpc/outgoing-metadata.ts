/**
 * Which flow headers may go out as gRPC metadata — the one rule both gRPC callers apply
 * (grpc-js through metadata.ts, node:http2 through h2-metadata.ts). Set by HTTP/2 or
 * grpc-js itself, a reserved header would corrupt the call or be refused, so it is dropped
 * rather than failing the request; an illegal key or value is skipped the same way.
 * Imports nothing of grpc-js, so the node:http2 caller does not load it.
 */
const RESERVED = new Set([
  'content-type',
  'te',
  'user-agent',
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'proxy-connection',
  'accept-encoding',
  'grpc-encoding',
  'grpc-accept-encoding',
  'grpc-timeout',
  'grpc-status',
  'grpc-message',
  'grpc-status-details-bin',
]);

// What grpc-js accepts as a key.
const LEGAL_KEY = /^[0-9a-z_.-]+$/;

/** The metadata key for a flow header name (lower-cased), or undefined when it may not be sent. */
export function outgoingKey(name: string): string | undefined {
  const key = name.toLowerCase();
  return RESERVED.has(key) || key.charCodeAt(0) === 58 || !LEGAL_KEY.test(key) ? undefined : key;
}

/** Printable ASCII only, as a text metadata value must be. */
export function isLegalValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

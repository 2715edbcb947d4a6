/**
 * Flow headers → HTTP/2 request headers for the node:http2 gRPC caller, with the rules
 * setMetadata (metadata.ts) applies for grpc-js: reserved and pseudo-headers dropped,
 * illegal keys and values skipped rather than failing the call, `-bin` values sent as
 * canonical base64.
 */
import type { OutgoingHttpHeaders } from 'node:http2';

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

const LEGAL_KEY = /^[0-9a-z_.-]+$/;

export function metadataHeaders(headers: Record<string, string>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const key = name.toLowerCase();
    if (RESERVED.has(key) || key.charCodeAt(0) === 58 || !LEGAL_KEY.test(key)) continue;
    const value = headers[name]!;
    if (key.endsWith('-bin')) out[key] = Buffer.from(value, 'base64').toString('base64');
    else if (isLegalValue(value)) out[key] = value;
  }
  return out;
}

function isLegalValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

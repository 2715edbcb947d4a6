/**
 * Flow headers → HTTP/2 request headers for the node:http2 gRPC caller, with the rules
 * setMetadata (metadata.ts) applies for grpc-js: reserved and pseudo-headers dropped,
 * illegal keys and values skipped rather than failing the call, `-bin` values sent as
 * canonical base64.
 */
import type { OutgoingHttpHeaders } from 'node:http2';
import { isLegalValue, outgoingKey } from './outgoing-metadata.js';

export function metadataHeaders(headers: Record<string, string>): OutgoingHttpHeaders {
  return addMetadata(headers, {});
}

/** Adds the flow headers that may go out as metadata to `out` (request headers being built). */
export function addMetadata(headers: Record<string, string>, out: OutgoingHttpHeaders): OutgoingHttpHeaders {
  for (const name in headers) {
    const key = outgoingKey(name);
    if (key === undefined) continue;
    const value = headers[name]!;
    if (key.endsWith('-bin')) out[key] = Buffer.from(value, 'base64').toString('base64');
    else if (isLegalValue(value)) out[key] = value;
  }
  return out;
}

/**
 * gRPC metadata ↔ the flat header records flows read and write. Metadata keys are
 * lower-case by protocol; `-bin` keys carry bytes, which travel as base64 text on the
 * flow side so a header template can pass them along unchanged.
 */
import { Metadata } from '@grpc/grpc-js';
import { isLegalValue, outgoingKey } from './outgoing-metadata.js';

/** Adds flow headers to metadata; names are lower-cased, reserved and illegal ones skipped. */
export function setMetadata(metadata: Metadata, headers: Record<string, string>): Metadata {
  for (const name in headers) {
    const key = outgoingKey(name);
    if (key === undefined) continue;
    const value = headers[name]!;
    if (key.endsWith('-bin')) metadata.set(key, Buffer.from(value, 'base64'));
    else if (isLegalValue(value)) metadata.set(key, value);
  }
  return metadata;
}

/** Metadata as one string per key: repeated values joined with ', ', bytes as base64. */
export function metadataToHeaders(metadata: Metadata, into: Record<string, string> = {}): Record<string, string> {
  const all = metadata.toJSON();
  for (const key in all) {
    if (key in into) continue;
    const values = all[key]!;
    let text = '';
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      const part = typeof value === 'string' ? value : value.toString('base64');
      text = i === 0 ? part : `${text}, ${part}`;
    }
    into[key] = text;
  }
  return into;
}

/** Incoming metadata for FlowRequest.header: repeated keys keep every value. */
export function metadataToRequestHeaders(metadata: Metadata): Record<string, string | string[]> {
  const all = metadata.toJSON();
  const out: Record<string, string | string[]> = {};
  for (const key in all) {
    const values = all[key]!.map((v) => (typeof v === 'string' ? v : v.toString('base64')));
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

/** Printable ASCII only: grpc-js refuses anything else in a text value. */

/**
 * The one place where the HTTP listener turns failures into answers. Every error body has
 * the flow's shape, `{"status": N, "message": "…"}` by default, and never a stack trace.
 */
import type { FastifyReply } from 'fastify';
import type { Codec } from '../../codec/codec.js';
import { codecs } from '../../codec/index.js';
import type { FlowFailure } from '../../flow/types.js';
import { errorJson } from '../shared/raw-error.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** Fastify sends a Buffer as-is; a Uint8Array view is wrapped without copying. */
export function toPayload(data: Uint8Array | string): Buffer | string {
  if (typeof data === 'string' || Buffer.isBuffer(data)) return data;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('content-type', JSON_TYPE).send(errorJson(status, message));
}

/**
 * A failed flow: its status, headers and error object. The object is encoded with the
 * endpoint codec when that codec can carry an untyped value; proto cannot, so JSON.
 */
export function sendFailure(reply: FastifyReply, failure: FlowFailure, codec: Codec): FastifyReply {
  const status =
    Number.isInteger(failure.status) && failure.status >= 400 && failure.status <= 599 ? failure.status : 500;
  const { contentType, payload } = encodeErrorBody(
    failure.body ?? { status, message: failure.message },
    codec,
    status,
    failure.message,
  );
  reply.code(status).header('content-type', contentType);
  reply.headers(failure.header);
  return reply.send(payload);
}

/** Bytes and content type of an error object (also used on raw upgrade sockets). */
export function encodeErrorBody(
  body: unknown,
  codec: Codec,
  status: number,
  message: string,
): { contentType: string; payload: Buffer | string } {
  const json = codecs.get('json');
  const preferred = codec.name === 'proto' ? (json ?? codec) : codec;
  for (const candidate of [preferred, json]) {
    if (!candidate) continue;
    try {
      return { contentType: candidate.contentType, payload: toPayload(candidate.encode(body)) };
    } catch {
      // fall through to the plain shape below
    }
  }
  return { contentType: JSON_TYPE, payload: errorJson(status, message) };
}

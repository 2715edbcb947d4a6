/**
 * Reads an upstream answer body up to a cap (`max_response_size`, 10 MB by default). An
 * answer that declares a larger Content-Length is refused before a byte is read; one
 * that grows past the cap while streaming is cut there. Either way the body is
 * destroyed — the connection is dropped, nothing more is read — and the call fails with
 * 502 naming the limit. Proxies stream answers through and never come here.
 */
import type { Readable } from 'node:stream';
import { CallError } from '../../errors.js';

/** 10485760 → "10 MB", 1536 → "1.5 KB": sizes in messages as a configuration writes them. */
export function formatBytes(bytes: number): string {
  const units: Array<[number, string]> = [
    [1 << 30, 'GB'],
    [1 << 20, 'MB'],
    [1 << 10, 'KB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

export function tooLarge(what: string, limit: number): CallError {
  return new CallError(`upstream ${what} answered more than ${formatBytes(limit)} (limit max_response_size)`, 502, {
    code: 'MAESTRO_ERR_RESPONSE_TOO_LARGE',
  });
}

export async function readCapped(
  body: Readable,
  contentLength: string | undefined,
  limit: number,
  what: string,
): Promise<Uint8Array> {
  if (contentLength !== undefined && Number(contentLength) > limit) {
    body.destroy();
    throw tooLarge(what, limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      body.destroy();
      throw tooLarge(what, limit);
    }
    chunks.push(buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

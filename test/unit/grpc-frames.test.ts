/**
 * The gRPC listener's frame parser (transport/grpc/frames.ts): messages split across
 * DATA chunks at every byte, several messages in one chunk, empty messages, the size
 * bound checked from the prefix alone, and grpc-message percent-encoding. No network.
 */
import { describe, expect, it } from 'vitest';
import { encodeGrpcMessage, frame, FrameParser, inflate } from '../../src/transport/grpc/frames.js';
import { gzipSync } from 'node:zlib';

const messages = [Buffer.from('first'), Buffer.alloc(0), Buffer.from('x'.repeat(300)), Buffer.from([0, 1, 2])];
const wire = Buffer.concat(messages.map((m) => frame(m)));

function parse(chunks: Buffer[], maxBytes = 1024): { got: Buffer[]; error: unknown; idle: boolean } {
  const got: Buffer[] = [];
  const parser = new FrameParser(maxBytes, (_compressed, message) => got.push(Buffer.from(message)));
  let error: unknown;
  for (const chunk of chunks) error ??= parser.push(chunk);
  return { got, error, idle: parser.idle };
}

describe('grpc frame parser', () => {
  it('reads the same messages however the bytes are split in two', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      const { got, error, idle } = parse([wire.subarray(0, cut), wire.subarray(cut)]);
      expect(error).toBeUndefined();
      expect(idle).toBe(true);
      expect(got).toEqual(messages);
    }
  });

  it('reads them one byte at a time', () => {
    const bytes = [...wire].map((b) => Buffer.from([b]));
    expect(parse(bytes).got).toEqual(messages);
  });

  it('is not idle inside a message, and counts messages without keeping them when given no callback', () => {
    expect(parse([wire.subarray(0, 7)]).idle).toBe(false);
    const meter = new FrameParser(1024);
    expect(meter.push(wire)).toBeUndefined();
    expect(meter.idle).toBe(true);
  });

  it('refuses a message above the bound from its prefix, before its bytes arrive', () => {
    const { got, error } = parse([frame(Buffer.alloc(2000)).subarray(0, 5)], 1024);
    expect(got).toEqual([]);
    expect(error).toMatchObject({ code: 8, details: expect.stringContaining('limit of 1024 bytes') });
  });

  it('inflates gzip only when the call named it', () => {
    const zipped = gzipSync(Buffer.from('hello'));
    expect(inflate(true, zipped, 'gzip', 1024)).toEqual(Buffer.from('hello'));
    expect(inflate(true, zipped, undefined, 1024)).toMatchObject({ code: 13 });
    expect(inflate(true, zipped, 'snappy', 1024)).toMatchObject({ code: 12 });
    expect(inflate(true, gzipSync(Buffer.alloc(5000)), 'gzip', 1024)).toMatchObject({ code: 8 });
    expect(inflate(false, zipped, undefined, 1024)).toBe(zipped);
  });

  it('percent-encodes grpc-message outside printable ASCII', () => {
    expect(encodeGrpcMessage('plain text')).toBe('plain text');
    expect(encodeGrpcMessage('100% sure')).toBe('100%25 sure');
    expect(decodeURIComponent(encodeGrpcMessage('zürich\nnext'))).toBe('zürich\nnext');
  });
});

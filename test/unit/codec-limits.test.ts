/** The decoder limits (codec/limits.ts) on each codec, without a listener. */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { FormCodec, JsonCodec, ProtobufCodec, XmlCodec } from '../../src/codec/index.js';
import { LimitError, type DecodeLimits } from '../../src/codec/limits.js';
import { loadSchemas } from '../../src/schema/index.js';
import { Diagnostics } from '../../src/errors.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const tight: DecodeLimits = { maxFields: 3, maxArrayIndex: 5, maxDepth: 3 };

function limitOf(fn: () => unknown): { limit: string; status: number } | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof LimitError) return { limit: error.limit, status: error.status };
    throw error;
  }
}

describe('decoder limits', () => {
  it('form: counts pairs, bounds indexes and nesting, compacts sparse lists', () => {
    const form = new FormCodec();
    expect(limitOf(() => form.decode(utf8('a=1&b=2&c=3&d=4'), undefined, tight))).toEqual({
      limit: 'maxFields',
      status: 413,
    });
    expect(limitOf(() => form.decode(utf8('a=1&&b=2&&c=3'), undefined, tight))).toBeUndefined();
    expect(limitOf(() => form.decode(utf8('a[6]=1'), undefined, tight))).toEqual({
      limit: 'maxArrayIndex',
      status: 400,
    });
    expect(limitOf(() => form.decode(utf8('a.b.c.d=1'), undefined, tight))).toEqual({ limit: 'maxDepth', status: 400 });
    expect(form.decode(utf8('a[5]=z&a[1]=y&b[3].c=x'), undefined, tight)).toEqual({ a: ['y', 'z'], b: [{ c: 'x' }] });
    // Defaults: 1,000 pairs and index 1,000.
    expect(limitOf(() => form.decode(utf8(Array.from({ length: 1_001 }, (_, i) => `k${i}=1`).join('&'))))).toEqual({
      limit: 'maxFields',
      status: 413,
    });
    expect(form.decode(utf8('k[1000]=1'))).toEqual({ k: ['1'] });
  });

  it('JSON and XML: nesting', () => {
    expect(limitOf(() => new JsonCodec().decode(utf8('{"a":{"b":{"c":{"d":1}}}}'), undefined, tight))).toEqual({
      limit: 'maxDepth',
      status: 400,
    });
    expect(limitOf(() => new JsonCodec().decode(utf8('{"a":{"b":1}}'), undefined, tight))).toBeUndefined();
    // The root element is not part of the decoded value, so it does not count.
    expect(
      limitOf(() => new XmlCodec().decode(utf8('<r><a><b><c><d>1</d></c></b></a></r>'), undefined, tight)),
    ).toEqual({ limit: 'maxDepth', status: 400 });
    expect(
      limitOf(() => new XmlCodec().decode(utf8('<r><a><b><c>1</c></b></a></r>'), undefined, tight)),
    ).toBeUndefined();
  });

  it('protobuf: nesting of a recursive message', async () => {
    const proto = join(import.meta.dirname, '..', 'fixtures', 'flow', 'proto', 'people.proto');
    const schemas = await loadSchemas([{ value: proto, pos: { file: 'x', line: 1, column: 1 } }], new Diagnostics());
    const Person = schemas.messages.get('e2e.people.Person')!;
    const root = await protobuf.load(proto);
    const type = root.lookupType('e2e.people.Person');
    const nest = (depth: number): Uint8Array => {
      let value: Record<string, unknown> = { name: 'x' };
      for (let i = 1; i < depth; i++) value = { friend: value };
      return type.encode(type.fromObject(value)).finish();
    };
    const codec = new ProtobufCodec();
    expect(limitOf(() => codec.decode(nest(4), Person, tight))).toEqual({ limit: 'maxDepth', status: 400 });
    expect(codec.decode(nest(3), Person, tight)).toEqual({ friend: { friend: { name: 'x' } } });
  });
});

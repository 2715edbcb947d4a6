/**
 * jsonText skips JSON.stringify's replacer when a value holds no bytes (shared/values.ts):
 * the text must stay what the replacer wrote, on random values with bytes, Buffers, dates,
 * toJSON objects, nesting deeper than the scan and inherited properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonText } from '../../src/shared/values.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 500);

function withReplacer(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : v,
    ) ?? 'null'
  );
}

const leaf = fc.oneof(
  fc.string(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 6 }),
  fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b)),
  fc.date({ noInvalidDate: true }),
  fc.constant({ toJSON: () => new Uint8Array([1, 2]) }),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 4 }),
  object: fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
})).node;

function nested(depth: number, inner: unknown): unknown {
  let out = inner;
  for (let i = 0; i < depth; i++) out = i % 2 ? [out] : { a: out };
  return out;
}

describe('jsonText', () => {
  it('writes what JSON.stringify with the bytes replacer writes', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(jsonText(v)).toBe(withReplacer(v));
      }),
      { numRuns: RUNS },
    );
  });

  it('finds bytes below the scan depth, inherited keys aside, and at the root', () => {
    for (const depth of [0, 1, 31, 32, 33, 40]) {
      const v = nested(depth, new Uint8Array([255]));
      expect(jsonText(v)).toBe(withReplacer(v));
    }
    const inherited = Object.create({ hidden: new Uint8Array([1]) }) as Record<string, unknown>;
    inherited.own = 'x';
    expect(jsonText(inherited)).toBe('{"own":"x"}');
    expect(jsonText(new Uint8Array([1, 2, 3]))).toBe('"AQID"');
    const arrayWithToJson = Object.assign([1], { toJSON: () => new Uint8Array([9]) });
    expect(jsonText(arrayWithToJson)).toBe(withReplacer(arrayWithToJson));
  });

  it('still refuses a cycle with the TypeError JSON.stringify throws', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = { back: cycle };
    expect(() => withReplacer(cycle)).toThrow(TypeError);
    expect(() => jsonText(cycle)).toThrow(TypeError);
  });
});

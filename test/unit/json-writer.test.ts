/**
 * The prepared JSON writer (codec/json-writer.ts) against the generic path it replaces,
 * jsonText(normalize(value, type, ENCODE_JSON), false): byte-identical text, or the same
 * CodecError, on random values of random schemas (scalars of every kind, enums, nested and
 * recursive messages, repeated fields, maps, proto3 JSON names, names that shadow
 * Object.prototype members). FUZZ_RUNS / FUZZ_SEED as in harden-fuzz.
 */
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { writerFor } from '../../src/codec/json-writer.js';
import { JsonCodec } from '../../src/codec/json.js';
import { ENCODE_JSON, normalize } from '../../src/codec/typed.js';
import { createMessageType } from '../../src/schema/build.js';
import { SCALAR_KINDS, type FieldType, type MessageType, type ScalarKind } from '../../src/schema/types.js';
import { jsonText } from '../../src/shared/values.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const SCALARS: readonly ScalarKind[] = SCALAR_KINDS;
const MAP_KEYS: ScalarKind[] = ['string', 'int32', 'int64', 'uint32', 'bool', 'sint64'];
// Snake case (a proto3 JSON name differs), names of Object.prototype members, plain ones.
const NAMES = ['id', 'display_name', 'user_id', 'constructor', 'toString', 'valueOf', 'tags', 'x', 'created_at'];

interface FieldSpec {
  name: string;
  type: string;
  label: 'single' | 'repeated' | 'map';
  mapKey: ScalarKind;
}

const fieldSpec = fc.record({
  name: fc.constantFrom(...NAMES),
  type: fc.constantFrom<string>(...SCALARS, 'Color', 'Inner', 'Outer'),
  label: fc.constantFrom<FieldSpec['label']>('single', 'single', 'repeated', 'map'),
  mapKey: fc.constantFrom(...MAP_KEYS),
});

/** A schema: Outer (the type written) with random fields, Inner with random scalar fields. */
const schema = fc
  .record({
    outer: fc.uniqueArray(fieldSpec, { minLength: 1, maxLength: 7, selector: (f) => f.name }),
    inner: fc.uniqueArray(fieldSpec, { minLength: 1, maxLength: 4, selector: (f) => f.name }),
    jsonName: fc.boolean(),
  })
  .map(({ outer, inner, jsonName }) => {
    const line = (f: FieldSpec, i: number, innerOnly: boolean): string => {
      const type = innerOnly && f.type === 'Outer' ? 'Inner' : f.type;
      const option = jsonName && f.name === 'user_id' ? ' [json_name = "uid"]' : '';
      if (f.label === 'map') return `map<${f.mapKey}, ${type}> ${f.name} = ${i + 1}${option};`;
      return `${f.label === 'repeated' ? 'repeated ' : ''}${type} ${f.name} = ${i + 1}${option};`;
    };
    const text = [
      'syntax = "proto3";',
      'package fuzz;',
      'enum Color { RED = 0; GREEN = 1; BLUE = 2; }',
      `message Inner { ${inner.map((f, i) => line(f, i, true)).join(' ')} }`,
      `message Outer { ${outer.map((f, i) => line(f, i, false)).join(' ')} }`,
    ].join('\n');
    const root = protobuf.parse(text, { keepCase: true }).root;
    root.resolveAll();
    return { text, type: createMessageType(root.lookupType('fuzz.Outer')) };
  });

/** Values that mostly fit a kind, and sometimes do not. */
function scalarValue(kind: ScalarKind): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 20, arbitrary: fittingScalar(kind) },
    { weight: 1, arbitrary: fc.oneof(fc.constant({}), fc.constant([1]), fc.string(), fc.boolean()) },
  );
}

function fittingScalar(kind: ScalarKind): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'double':
    case 'float':
      return fc.oneof(
        fc.double(),
        fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e21, 'NaN', '1.5e3', '-Infinity'),
        fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
      );
    case 'bool':
      return fc.oneof(fc.boolean(), fc.constantFrom('true', 'f', '1', 'yes'));
    case 'string':
      return fc.oneof(fc.string({ unit: 'binary' }), fc.string(), fc.integer(), fc.bigInt(), fc.boolean());
    case 'bytes':
      return fc.oneof(
        fc.uint8Array({ maxLength: 8 }),
        fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
        fc.base64String({ maxLength: 12 }),
        fc.constantFrom('a-_b', '!!'),
      );
    default: {
      const signed = !kind.startsWith('u') && !kind.startsWith('fixed');
      const wide = kind.endsWith('64');
      const min = signed ? (wide ? -(2n ** 63n) : -(2n ** 31n)) : 0n;
      const max = wide ? (signed ? 2n ** 63n - 1n : 2n ** 64n - 1n) : signed ? 2n ** 31n - 1n : 2n ** 32n - 1n;
      return fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: signed ? -1000 : 0, max: 1000 }) },
        { weight: 4, arbitrary: fc.bigInt({ min, max }) },
        {
          weight: 2,
          arbitrary: fc.bigInt({ min, max }).map((n) => (n >= -(2n ** 53n) && n <= 2n ** 53n ? Number(n) : n)),
        },
        { weight: 2, arbitrary: fc.bigInt({ min, max }).map(String) },
        // Out of range, fractional, or not a number.
        { weight: 1, arbitrary: fc.constantFrom<unknown>(max + 1n, min - 1n, 1.5, ' 3', '1e3', Number.NaN) },
      );
    }
  }
}

function elementValue(field: FieldType, depth: number): fc.Arbitrary<unknown> {
  if (field.message) return messageValue(field.message, depth + 1);
  if (field.enum)
    return fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom('RED', 'GREEN', 'BLUE', '1', '7', '-0') },
      { weight: 10, arbitrary: fc.integer({ min: -3, max: 5 }) },
      { weight: 1, arbitrary: fc.constantFrom('PURPLE', '', 2 ** 31, 2 ** 31 + 1, 1.5) },
    );
  return scalarValue(field.scalar ?? 'string');
}

function fieldValue(field: FieldType, depth: number): fc.Arbitrary<unknown> {
  const one = elementValue(field, depth);
  if (field.kind === 'map') {
    const key =
      field.mapKey === 'bool'
        ? fc.constantFrom('true', 'false', 'x')
        : field.mapKey === 'string'
          ? fc.string()
          : fc.oneof(fc.integer({ min: -20, max: 20 }).map(String), fc.constantFrom('007', 'x', '4294967296'));
    return fc.oneof(
      { weight: 20, arbitrary: fc.dictionary(key, fc.oneof(one, fc.constant(null)), { maxKeys: 3 }) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>([1], 'm') },
    );
  }
  if (field.repeated)
    return fc.oneof({ weight: 20, arbitrary: fc.array(one, { maxLength: 3 }) }, { weight: 1, arbitrary: one });
  return one;
}

function messageValue(type: MessageType, depth: number): fc.Arbitrary<unknown> {
  if (depth > 2) return fc.constantFrom({}, undefined, null);
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of type.fieldList) {
    fields[field.name] = fc.oneof(
      { weight: 8, arbitrary: fieldValue(field, depth) },
      { weight: 1, arbitrary: fc.constantFrom(undefined, null) },
    );
  }
  const object = fc.record(fields, { requiredKeys: [] });
  // proto3 JSON names on input (`displayName`), extra unknown keys, and the odd non-object.
  const aliased = object.map((o) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k.includes('_') && k.length % 2 === 0 ? camel(k) : k] = v;
    return out;
  });
  return fc.oneof(
    { weight: 6, arbitrary: object },
    { weight: 2, arbitrary: aliased },
    { weight: 1, arbitrary: object.map((o) => ({ ...o, extra: 1 })) },
    { weight: depth === 0 ? 1 : 0, arbitrary: fc.constantFrom<unknown>('x', 3, [], new Uint8Array(1)) },
  );
}

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function generic(value: unknown, type: MessageType): { text?: string; error?: string } {
  try {
    return { text: jsonText(normalize(value, type, ENCODE_JSON), false) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

function prepared(value: unknown, type: MessageType): { text?: string; error?: string } {
  try {
    return { text: writerFor(type)(value) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

describe('prepared JSON writer', () => {
  it('writes the same bytes as normalize + jsonText, or throws the same error, on random schemas and values', () => {
    const cases = schema.chain(({ text, type }) =>
      fc.tuple(fc.constant(text), fc.constant(type), messageValue(type, 0)),
    );
    fc.assert(
      fc.property(cases, ([, type, value]) => {
        expect(prepared(value, type)).toEqual(generic(value, type));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('is what JsonCodec.encode and prepare write for a typed value', () => {
    const root = protobuf.parse(
      `syntax = "proto3"; package t; enum E { A = 0; B = 1; }
       message M { int64 big = 1; string display_name = 2; repeated E e = 3; bytes b = 4; double d = 5;
                   map<int32, string> m = 6; M self = 7; }`,
      { keepCase: true },
    ).root;
    root.resolveAll();
    const M = createMessageType(root.lookupType('t.M'));
    const value = {
      big: 9007199254740993n,
      displayName: 'Ann "the" \u2028',
      e: ['B', 0, 5],
      b: new Uint8Array([1, 2, 3]),
      d: Number.NaN,
      m: { 10: 'ten', 2: 'two', '-1': 'minus' },
      self: { big: 1, self: {} },
      ignored: true,
    };
    const json = new JsonCodec();
    const text =
      '{"big":9007199254740993,"display_name":"Ann \\"the\\" \u2028","e":["B","A",5],"b":"AQID","d":"NaN",' +
      '"m":{"2":"two","10":"ten","-1":"minus"},"self":{"big":1,"self":{}}}';
    expect(json.encode(value, M)).toBe(text);
    expect(json.prepare(M)(value)).toBe(text);
    expect(generic(value, M).text).toBe(text);
    expect(() => json.encode({ e: ['C'] }, M)).toThrow('field "e[0]": expected enum t.E, got string "C"');
  });

  it('leaves out a field named __proto__ as the generic path does, still checking its value', () => {
    const field = (name: string, extra: Partial<FieldType>): FieldType => ({
      name,
      id: 1,
      repeated: false,
      kind: 'scalar',
      scalar: 'string',
      ...extra,
    });
    const fieldList = [field('__proto__', { kind: 'scalar', scalar: 'int32' }), field('a', {})];
    const H = {
      fullName: 'h.H',
      fields: new Map(fieldList.map((f) => [f.name, f])),
      fieldList,
      proto: { fields: {} },
    } as unknown as MessageType;
    const value = JSON.parse('{"__proto__": 5, "a": "x"}') as unknown;
    expect(prepared(value, H)).toEqual(generic(value, H));
    expect(prepared(value, H).text).toBe('{"a":"x"}');
    const bad = JSON.parse('{"__proto__": "y", "a": "x"}') as unknown;
    expect(prepared(bad, H)).toEqual(generic(bad, H));
    expect(prepared(bad, H).error).toMatch(/__proto__/);
  });
});

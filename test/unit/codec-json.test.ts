import { beforeAll, describe, expect, it } from 'vitest';
import { CodecError } from '../../src/codec/codec.js';
import { JsonCodec, normalize } from '../../src/codec/index.js';
import type { MessageType } from '../../src/schema/types.js';
import { catchError, messageType, utf8 } from '../fixtures/schema/codec-suite.js';

const json = new JsonCodec();
let Person: MessageType;

beforeAll(async () => {
  Person = await messageType('Person');
});

const decode = (text: string) => json.decode(utf8(text), Person);
const decodeUntyped = (text: string) => json.decode(utf8(text));

describe('JsonCodec: int64 beyond 2^53', () => {
  it('decodes exactly, typed and untyped, and encodes as a JSON number', () => {
    expect(decode('{"big": 9007199254740993}')).toEqual({ big: 9007199254740993n });
    expect(decodeUntyped('{"big": 9007199254740993, "deep": [{"n": -18446744073709551615}]}')).toEqual({
      big: 9007199254740993n,
      deep: [{ n: -18446744073709551615n }],
    });
    expect(json.encode({ big: 9007199254740993n, ubig: 18446744073709551615n }, Person)).toBe(
      '{"big":9007199254740993,"ubig":18446744073709551615}',
    );
    expect(json.encode({ id: 9007199254740993n })).toBe('{"id":9007199254740993}');
  });

  it('accepts proto3 JSON strings and keeps small values as numbers', () => {
    expect(decode('{"big": "9007199254740993", "ubig": "12", "age": "7"}')).toEqual({
      big: 9007199254740993n,
      ubig: 12,
      age: 7,
    });
    expect(decode('{"big": 1234567890123456}')).toEqual({ big: 1234567890123456 });
    expect(decode('{"big": 12, "score": 1234567890123456789.5}')).toEqual({ big: 12, score: 1234567890123456789.5 });
  });

  it('refuses values out of range', () => {
    expect(catchError(() => decode('{"ubig": -1}'))).toMatchObject({
      field: 'ubig',
      message: 'field "ubig": expected uint64, got number -1 (out of range)',
    });
    expect(catchError(() => decode('{"big": 9223372036854775808}'))).toMatchObject({ field: 'big' });
    expect(catchError(() => decode('{"age": 2147483648}'))).toMatchObject({
      message: 'field "age": expected int32, got number 2147483648 (out of range)',
    });
  });
});

describe('JsonCodec: typed decode', () => {
  it('names the ill-typed field', () => {
    const error = catchError(() => decode('{"age": "old"}'));
    expect(error).toBeInstanceOf(CodecError);
    expect(error).toMatchObject({
      field: 'age',
      message: 'field "age": expected int32, got string "old"',
      code: 'MAESTRO_ERR_CODEC',
    });
    expect(catchError(() => decode('{"address": {"street": 5}}'))).toMatchObject({
      field: 'address.street',
      message: 'field "address.street": expected string, got number 5',
    });
    expect(catchError(() => decode('{"items": [{}, {}, {"sku": "a", "quantity": 1.5}]}'))).toMatchObject({
      field: 'items[2].quantity',
    });
    expect(catchError(() => decode('{"counts": {"a": true}}'))).toMatchObject({
      field: 'counts.a',
      message: 'field "counts.a": expected int32, got boolean true',
    });
    expect(catchError(() => decode('{"tags": "x"}'))).toMatchObject({
      message: 'field "tags": expected repeated string, got string "x"',
    });
    expect(catchError(() => decode('{"address": []}'))).toMatchObject({
      message: 'field "address": expected message codec.Address, got array',
    });
    expect(catchError(() => decode('{"active": "true"}'))).toMatchObject({ field: 'active' });
    expect(catchError(() => decode('{"labels": {"x": "y"}}'))).toMatchObject({
      field: 'labels.x',
      message: 'field "labels.x": expected int64 map key, got string "x"',
    });
  });

  it('reads enums by name or number', () => {
    expect(decode('{"status": "BANNED", "history": [1, "ACTIVE", 7]}')).toEqual({
      status: 'BANNED',
      history: ['ACTIVE', 'ACTIVE', 7],
    });
    expect(catchError(() => decode('{"status": "GONE"}'))).toMatchObject({
      field: 'status',
      message: 'field "status": expected enum codec.Status, got string "GONE"',
    });
  });

  it('drops unknown fields, treats null as absent, reads JSON names', () => {
    expect(
      decode('{"name": "a", "nope": {"x": 1}, "age": null, "displayName": "A", "address": {"city": null}}'),
    ).toEqual({
      name: 'a',
      display_name: 'A',
      address: {},
    });
  });

  it('reads floats, NaN and base64 bytes', () => {
    const decoded = decode('{"score": "NaN", "ratio": "-Infinity", "avatar": "AAH/"}');
    expect(decoded).toEqual({
      score: Number.NaN,
      ratio: Number.NEGATIVE_INFINITY,
      avatar: new Uint8Array([0, 1, 255]),
    });
    expect(json.encode(decoded, Person)).toBe('{"score":"NaN","ratio":"-Infinity","avatar":"AAH/"}');
    expect(catchError(() => decode('{"avatar": "not base64!"}'))).toMatchObject({ field: 'avatar' });
  });

  it('refuses a body that is not an object', () => {
    expect(catchError(() => decode('[1]'))).toMatchObject({ message: 'expected message codec.Person, got array' });
    expect(catchError(() => decodeUntyped('"x"'))).toMatchObject({ message: 'expected a JSON object, got string "x"' });
  });
});

describe('JsonCodec: malformed JSON', () => {
  it.each([
    ['{"a":}', 5],
    ['{"a": 1,}', 8],
    ['{"a": 12345678901234567890', 26],
    ['{"a": tru}', 6],
    ['{"a": "x\\q"}', 9],
  ])('%s at position %i', (text, position) => {
    const error = catchError(() => decodeUntyped(text));
    expect(error).toBeInstanceOf(CodecError);
    expect((error as Error).message).toBe(`malformed JSON at position ${position}`);
  });

  it('keeps "__proto__" an own key in the exact parser', () => {
    const value = decodeUntyped('{"__proto__": {"polluted": 1}, "n": 12345678901234567890}');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(value)).toEqual(['__proto__', 'n']);
  });

  it('decodes escapes and a byte order mark', () => {
    expect(decodeUntyped('\uFEFF{"name": "a\\u00e9\\n\\"b", "n": 12345678901234567890}')).toEqual({
      name: 'aé\n"b',
      n: 12345678901234567890n,
    });
  });
});

describe('JsonCodec: encode', () => {
  it('omits absent fields, writes enums by name and drops unknown fields', () => {
    expect(
      json.encode(
        { name: 'a', age: undefined, status: 2, extra: 1, address: null, items: [{ quantity: '3' }] },
        Person,
      ),
    ).toBe('{"name":"a","status":"BANNED","items":[{"quantity":3}]}');
  });

  it('writes untyped values with bytes as base64', () => {
    expect(json.encode({ a: new Uint8Array([1, 2]), b: [undefined, 1n], c: undefined })).toBe(
      '{"a":"AQI=","b":[null,1]}',
    );
  });

  it('normalize() coerces a mapped value to its type', () => {
    expect(normalize({ age: '42', name: 7, active: 'true', big: '9007199254740993' }, Person)).toEqual({
      name: '7',
      age: 42,
      big: 9007199254740993n,
      active: true,
    });
    expect(() => normalize({ age: {} }, Person)).toThrow('field "age": expected int32, got object');
  });
});

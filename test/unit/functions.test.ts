import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFunctions, FunctionError, type TemplateFunction } from '../../src/functions/index.js';
import { buildTemplate, parseTemplate } from '../../src/template/index.js';

const functions = createFunctions({ jwt: new Map(), env: {} });
const get = (name: string): TemplateFunction => {
  const fn = functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  return fn;
};
const call = (name: string, ...args: unknown[]): unknown => get(name).invoke(args);

/** Through the template builder, so `specialize` paths are exercised as compile uses them. */
const render = (text: string, input: Record<string, unknown> = {}): unknown =>
  buildTemplate(
    parseTemplate(text),
    (ref) => () => input[ref.path[0] ?? ''],
    (c) => get(c.name),
  )({});

function errorOf(fn: () => unknown): FunctionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FunctionError) return error;
    throw error;
  }
  throw new Error('expected a FunctionError');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createFunctions', () => {
  it('has every built-in with its arity', () => {
    expect([...functions.keys()].sort()).toEqual([
      'base64_decode',
      'base64_encode',
      'default',
      'json_decode',
      'json_encode',
      'jwt',
      'len',
      'lower',
      'now',
      'sprintf',
      'strconcat',
      'upper',
      'uuid',
    ]);
    expect(get('sprintf')).toMatchObject({ minArgs: 1, maxArgs: Infinity, returns: 'string' });
    expect(get('jwt')).toMatchObject({ minArgs: 1, maxArgs: 2, returns: 'object' });
  });
});

describe('sprintf', () => {
  it('formats the Semaphore examples', () => {
    const input = { name: 'Ann', subject: 'cat', age: 31, info: { city: 'Oslo', n: 2 } };
    expect(render("{{ sprintf('Hey %s! What is that %s?', input:name, input:subject) }}", input)).toBe(
      'Hey Ann! What is that cat?',
    );
    expect(render("{{ sprintf('Hey %s! I know you are %d years old!', input:name, input:age) }}", input)).toBe(
      'Hey Ann! I know you are 31 years old!',
    );
    expect(
      render("{{ sprintf('Hey %s! We have got your personal info in JSON: %json!', input:name, input:info) }}", input),
    ).toBe('Hey Ann! We have got your personal info in JSON: {"city":"Oslo","n":2}!');
  });

  it.each([
    [['%d%%', 50], '50%'],
    [['%f', 1.5], '1.500000'],
    [['%.2f', 3.14159], '3.14'],
    [['%.0f', 2.5], '3'],
    [['%.2f', '2.5'], '2.50'],
    [['%.2f', 9007199254740993n], '9007199254740993.00'],
    [['%d', 9007199254740993n], '9007199254740993'],
    [['%d', 7.9], '7'],
    [['%d', '42'], '42'],
    [['%v and %v', [1, 2], null], '[1,2] and '],
    [['%q', 'a"b'], '"a\\"b"'],
    [['%t', true], 'true'],
    [['%5d|%-5s|%05.1f|%+d', 42, 'ab', 3.14159, 7], '   42|ab   |003.1|+7'],
    [['%d'], '%!d(MISSING)'],
    [['%s and %d', 'x'], 'x and %!d(MISSING)'],
    [['%d', 'abc'], '%!d(string=abc)'],
    [['%t', 1], '%!t(int=1)'],
    [['%z', 1.5], '%!z(float64=1.5)'],
    [['a', 1, 'b'], 'a%!(EXTRA int=1, string=b)'],
    [['100%'], '100%!(NOVERB)'],
    [['%json', { id: 9007199254740993n }], '{"id":9007199254740993}'],
  ])('case %#', (args, expected) => {
    expect(call('sprintf', ...args)).toBe(expected);
    // The same through a pre-parsed literal format.
    const [format, ...rest] = args;
    const specialized = get('sprintf').specialize!([{ value: format }, ...rest.map(() => undefined)]);
    expect(specialized!(args)).toBe(expected);
  });
});

describe('strings and values', () => {
  it('strconcat, upper, lower', () => {
    expect(call('strconcat', 'Ann', ' ', 'Lee')).toBe('Ann Lee');
    expect(call('strconcat', 'n=', 5, null, true)).toBe('n=5true');
    expect(call('upper', 'ann')).toBe('ANN');
    expect(call('lower', 'ÀB')).toBe('àb');
    expect(call('upper', null)).toBe('');
  });

  it('len', () => {
    expect(call('len', 'héllo')).toBe(5);
    expect(call('len', '😀a')).toBe(2);
    expect(call('len', [1, 2, 3])).toBe(3);
    expect(call('len', { a: 1, b: 2 })).toBe(2);
    expect(call('len', null)).toBe(0);
    expect(call('len', undefined)).toBe(0);
    expect(errorOf(() => call('len', 5)).status).toBe(400);
  });

  it('default', () => {
    expect(call('default', 'a', 'b')).toBe('a');
    expect(call('default', 0, 'b')).toBe(0);
    expect(call('default', false, 'b')).toBe(false);
    expect(call('default', '', 'b')).toBe('b');
    expect(call('default', null, 'b')).toBe('b');
    expect(call('default', undefined, 'b')).toBe('b');
  });

  it('now and uuid', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2024-05-06T07:08:09.123Z'));
    expect(call('now')).toBe('2024-05-06T07:08:09.123Z');
    expect(call('now', 'unix')).toBe(1714979289);
    expect(call('now', 'unix_ms')).toBe(1714979289123);
    expect(render("{{ now('unix') }}")).toBe(1714979289);
    expect(render('{{ now() }}')).toBe('2024-05-06T07:08:09.123Z');
    expect(errorOf(() => call('now', 'weekday')).status).toBe(400);
    const id = call('uuid');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(call('uuid')).not.toBe(id);
  });
});

describe('encodings', () => {
  it('base64', () => {
    expect(call('base64_encode', 'hello wörld')).toBe('aGVsbG8gd8O2cmxk');
    expect(call('base64_encode', new Uint8Array([0, 255]))).toBe('AP8=');
    expect(call('base64_decode', 'aGVsbG8gd8O2cmxk')).toBe('hello wörld');
    expect(call('base64_decode', 'aGk')).toBe('hi');
    expect(call('base64_decode', '-_8')).toBe(Buffer.from([0xfb, 0xff]).toString('utf8'));
    const error = errorOf(() => call('base64_decode', 'not base64!'));
    expect(error.status).toBe(400);
    expect(error.message).toBe('base64_decode: invalid base64');
    expect(errorOf(() => call('base64_decode', 'abcde')).status).toBe(400);
  });

  it('json', () => {
    expect(call('json_encode', { a: [1, 'x', null], big: 12345678901234567890n })).toBe(
      '{"a":[1,"x",null],"big":12345678901234567890}',
    );
    expect(call('json_encode', 'text')).toBe('"text"');
    expect(call('json_encode', undefined)).toBe('null');
    expect(call('json_decode', '{"a":[1,true]}')).toEqual({ a: [1, true] });
    expect(call('json_decode', '3')).toBe(3);
    expect(errorOf(() => call('json_decode', '{oops')).status).toBe(400);
    expect(errorOf(() => call('json_decode', 5)).status).toBe(400);
  });
});

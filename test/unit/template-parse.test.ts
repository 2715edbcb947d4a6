import { describe, expect, it } from 'vitest';
import { parseReference, parseTemplate, referencesOf, TemplateError } from '../../src/template/index.js';
import type { Expression } from '../../src/template/index.js';

const single = (text: string): Expression => {
  const t = parseTemplate(text);
  if (t.kind !== 'single') throw new Error(`expected single, got ${t.kind}`);
  return t.expression;
};

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected a TemplateError');
}

describe('parseTemplate shapes', () => {
  it('plain text', () => {
    expect(parseTemplate('hello')).toEqual({ kind: 'plain', value: 'hello' });
    expect(parseTemplate('')).toEqual({ kind: 'plain', value: '' });
    expect(parseTemplate('a } b > c')).toEqual({ kind: 'plain', value: 'a } b > c' });
  });

  it('a single template with either delimiter, spaces optional', () => {
    const ref = { kind: 'reference', resource: 'input', path: ['id'], text: 'input:id' };
    expect(single('{{ input:id }}')).toEqual(ref);
    expect(single('{{input:id}}')).toEqual(ref);
    expect(single('<< input:id >>')).toEqual(ref);
    expect(single('<<input:id>>')).toEqual(ref);
    expect(single('{{\n  input:id\n}}')).toEqual(ref);
  });

  it('templates inside text, delimiters mixed', () => {
    const t = parseTemplate('Hello {{ input:name }}, << input:age >>!');
    expect(t.kind).toBe('text');
    if (t.kind !== 'text') return;
    expect(t.parts).toHaveLength(5);
    expect(t.parts[0]).toBe('Hello ');
    expect(t.parts[1]).toMatchObject({ kind: 'reference', resource: 'input', path: ['name'] });
    expect(t.parts[2]).toBe(', ');
    expect(t.parts[3]).toMatchObject({ kind: 'reference', resource: 'input', path: ['age'] });
    expect(t.parts[4]).toBe('!');
    expect(parseTemplate(' {{ a:b }}').kind).toBe('text');
    expect(parseTemplate('{{ a:b }}{{ c:d }}').kind).toBe('text');
  });
});

describe('references', () => {
  it.each([
    ['input:id', 'input', undefined, ['id']],
    ['input.header:Authorization', 'input', 'header', ['Authorization']],
    ['user:bio.full_name', 'user', undefined, ['bio', 'full_name']],
    ['claims:.', 'claims', undefined, []],
    ['currency:', 'currency', undefined, []],
    ['product.error:reason', 'product', 'error', ['reason']],
    ['me.header:X-Trace', 'me', 'header', ['X-Trace']],
    ['my-resource:items.0.sku', 'my-resource', undefined, ['items', '0', 'sku']],
  ])('%s', (text, resource, part, path) => {
    const e = single(`{{ ${text} }}`);
    expect(e).toEqual({ kind: 'reference', resource, ...(part ? { part } : {}), path, text });
  });

  it('parseReference accepts bare and templated sources', () => {
    expect(parseReference('input:items')).toMatchObject({ resource: 'input', path: ['items'] });
    expect(parseReference('{{ input:items }}')).toMatchObject({ resource: 'input', path: ['items'] });
    expect(parseReference(' << product.response:list >> ')).toMatchObject({
      resource: 'product',
      part: 'response',
      path: ['list'],
    });
    expect(errorOf(() => parseReference("'text'")).reason).toMatch(/expected a reference/);
    expect(errorOf(() => parseReference('input:a b')).offset).toBe(8);
  });
});

describe('literals', () => {
  it.each([
    ["'single'", 'single'],
    ['"double"', 'double'],
    ["'it\\'s'", "it's"],
    ['"a\\\\b\\"c\\n"', 'a\\b"c\n'],
    ["'\\u00e9'", 'é'],
    ["'}} >>'", '}} >>'],
    ['42', 42],
    ['-7', -7],
    ['3.25', 3.25],
    ['-0.5', -0.5],
    ['1e3', 1000],
    ['9007199254740993', 9007199254740993n],
    ['-9007199254740993', -9007199254740993n],
    ['true', true],
    ['false', false],
    ['null', null],
  ])('%s', (text, value) => {
    expect(single(`{{ ${text} }}`)).toEqual({ kind: 'literal', value });
  });
});

describe('calls', () => {
  it('with nested calls and every kind of argument', () => {
    const e = single("{{ sprintf('%s-%d', upper(input:name), 42, default(a:b, null)) }}");
    expect(e).toMatchObject({
      kind: 'call',
      name: 'sprintf',
      args: [
        { kind: 'literal', value: '%s-%d' },
        { kind: 'call', name: 'upper', args: [{ kind: 'reference', resource: 'input', path: ['name'] }] },
        { kind: 'literal', value: 42 },
        { kind: 'call', name: 'default', args: [{ kind: 'reference' }, { kind: 'literal', value: null }] },
      ],
    });
    expect(e.kind === 'call' && e.text).toBe("sprintf('%s-%d', upper(input:name), 42, default(a:b, null))");
  });

  it('without arguments', () => {
    expect(single('{{ uuid() }}')).toEqual({ kind: 'call', name: 'uuid', args: [], text: 'uuid()' });
    expect(single('<<now( )>>')).toMatchObject({ kind: 'call', name: 'now', args: [] });
  });

  it('referencesOf walks calls, text and conditions', () => {
    const t = parseTemplate("x {{ f(a:b, g(c.header:d), 'z') }} {{ e:f }}");
    expect(referencesOf(t).map((r) => r.text)).toEqual(['a:b', 'c.header:d', 'e:f']);
    expect(referencesOf(parseTemplate('plain'))).toEqual([]);
  });
});

describe('errors carry offsets', () => {
  it.each([
    ['{{ input:id', 'unterminated template', 0],
    ['abc << input:id', 'unterminated template', 4],
    ["{{ f('a' }}", "expected ')'", 9],
    ["{{ f('a', }}", 'expected an expression', 10],
    ['{{ f(a:b', 'unterminated template', 0],
    ['{{ @ }}', "unexpected character '@'", 3],
    ['{{ input:id extra }}', "unexpected character 'e'", 12],
    ['{{ }}', 'expected an expression', 3],
    ['{{ foo }}', "expected ':' or '(' after 'foo'", 6],
    ["{{ 'abc }}", 'unterminated string', 3],
    ['{{ input.:x }}', "expected a part name after 'input.'", 9],
    ['{{ input.header }}', "expected ':' after 'input.header'", 15],
    ['{{ a:b..c }}', 'empty path segment', 7],
    ['{{ 12abc }}', "unexpected character 'a'", 5],
    ['{{ - }}', "unexpected character '-'", 3],
  ])('%s', (text, reason, offset) => {
    const error = errorOf(() => parseTemplate(text));
    expect(error.reason).toBe(reason);
    expect(error.offset).toBe(offset);
    expect(error.code).toBe('MAESTRO_ERR_TEMPLATE');
    expect(error.message).toBe(`${reason} at offset ${offset}`);
  });
});

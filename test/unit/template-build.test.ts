import { describe, expect, it, vi } from 'vitest';
import { buildExpression, buildTemplate, jsonText, parseTemplate, renderText } from '../../src/template/index.js';
import type { CallExpression, ReferenceExpression } from '../../src/template/index.js';
import { FunctionError, type TemplateFunction } from '../../src/functions/function.js';

type Ctx = Record<string, unknown>;
const leaf =
  (ref: ReferenceExpression) =>
  (ctx: Ctx): unknown => {
    let value: unknown = ctx[ref.resource];
    for (const key of ref.path) value = value === null || typeof value !== 'object' ? undefined : (value as Ctx)[key];
    return value;
  };
const concat: TemplateFunction = {
  name: 'concat',
  minArgs: 0,
  maxArgs: Infinity,
  returns: 'string',
  invoke: (args) => args.map(String).join('+'),
};
const fail: TemplateFunction = {
  name: 'fail',
  minArgs: 0,
  maxArgs: 0,
  returns: 'string',
  invoke: () => {
    throw new FunctionError('nope', 401);
  },
};
const fn = (call: CallExpression): TemplateFunction => (call.name === 'fail' ? fail : concat);
const run = (text: string, ctx: Ctx = {}): unknown => buildTemplate(parseTemplate(text), leaf, fn)(ctx);

describe('buildTemplate', () => {
  it('keeps the type of a single template', () => {
    expect(run('{{ a:n }}', { a: { n: 5 } })).toBe(5);
    expect(run('{{ a:. }}', { a: { n: 5 } })).toEqual({ n: 5 });
    expect(run('{{ a:missing }}', { a: {} })).toBeUndefined();
    expect(run('plain')).toBe('plain');
    expect(run('{{ 12 }}')).toBe(12);
  });

  it('renders values into text', () => {
    const ctx = {
      a: { s: 'x', n: 1.5, big: 9007199254740993n, t: true, nil: null, o: { k: [1, 'two'] }, list: [1, 2] },
    };
    expect(run('s={{ a:s }} n={{ a:n }} big={{ a:big }} t={{ a:t }}', ctx)).toBe(
      's=x n=1.5 big=9007199254740993 t=true',
    );
    expect(run('[{{ a:nil }}][{{ a:absent }}]', ctx)).toBe('[][]');
    expect(run('o={{ a:o }} l=<< a:list >>', ctx)).toBe('o={"k":[1,"two"]} l=[1,2]');
    expect(run('Name: {{ a:s }} ({{ a:n }})', ctx)).toBe('Name: x (1.5)');
    expect(run('{{ a:s }}{{ a:s }}{{ a:s }}', ctx)).toBe('xxx');
  });

  it('calls functions with evaluated arguments', () => {
    expect(run("{{ concat(a:s, 'lit', concat(1, 2)) }}", { a: { s: 'x' } })).toBe('x+lit+1+2');
    expect(run('{{ concat(1, 2, 3, 4, 5) }}')).toBe('1+2+3+4+5');
    expect(run('{{ concat() }}')).toBe('');
    expect(() => run('{{ fail() }}')).toThrow(FunctionError);
  });

  it('resolves leaves and functions once, at build time', () => {
    const leafSpy = vi.fn(leaf);
    const fnSpy = vi.fn(fn);
    const get = buildTemplate(parseTemplate('{{ concat(a:s, a:s) }}!'), leafSpy, fnSpy);
    for (let i = 0; i < 3; i++) expect(get({ a: { s: i } })).toBe(`${i}+${i}!`);
    expect(leafSpy).toHaveBeenCalledTimes(2);
    expect(fnSpy).toHaveBeenCalledTimes(1);
  });

  it('lets a function specialize on literal arguments', () => {
    const specialize = vi.fn((constants: ReadonlyArray<{ readonly value: unknown } | undefined>) => {
      const prefix = String(constants[0]?.value);
      return (args: unknown[]) => `${prefix}:${String(args[1])}`;
    });
    const f: TemplateFunction = { ...concat, specialize };
    const expression = parseTemplate("{{ f('p', a:s) }}");
    if (expression.kind !== 'single') throw new Error('single expected');
    const get = buildExpression(expression.expression, leaf, () => f);
    expect(get({ a: { s: 'v' } })).toBe('p:v');
    expect(specialize).toHaveBeenCalledWith([{ value: 'p' }, undefined]);
  });
});

describe('render', () => {
  it('renderText and jsonText', () => {
    expect(renderText(new Uint8Array([104, 105]))).toBe('aGk=');
    expect(jsonText({ id: 9007199254740993n, list: [1n, undefined], skip: undefined, d: new Date(0) })).toBe(
      '{"id":9007199254740993,"list":[1,null],"d":"1970-01-01T00:00:00.000Z"}',
    );
    expect(jsonText(undefined)).toBe('null');
    expect(jsonText('a"b')).toBe('"a\\"b"');
  });
});

import { describe, expect, it } from 'vitest';
import { buildCondition, parseCondition, TemplateError } from '../../src/template/index.js';
import type { CallExpression, ReferenceExpression } from '../../src/template/index.js';
import type { TemplateFunction } from '../../src/functions/function.js';

type Ctx = Record<string, unknown>;

/** Reads `resource:path` from a plain object keyed by resource. */
const leaf =
  (ref: ReferenceExpression) =>
  (ctx: Ctx): unknown => {
    let value: unknown = ctx[ref.resource];
    for (const key of ref.path) value = value === null || typeof value !== 'object' ? undefined : (value as Ctx)[key];
    return value;
  };
const fns = new Map<string, TemplateFunction>([
  ['len', { name: 'len', minArgs: 1, maxArgs: 1, returns: 'number', invoke: (args) => String(args[0]).length }],
]);
const fn = (call: CallExpression): TemplateFunction => fns.get(call.name)!;

const check = (text: string, ctx: Ctx = {}): boolean => buildCondition(parseCondition(text), leaf, fn)(ctx);

describe('parseCondition', () => {
  it('builds the tree with usual precedence', () => {
    expect(parseCondition('1 + 2 * 3 == 7 || false && true')).toMatchObject({
      kind: 'binary',
      op: '||',
      left: {
        op: '==',
        left: { op: '+', left: { kind: 'value' }, right: { op: '*' } },
        right: { kind: 'value', expression: { value: 7 } },
      },
      right: { op: '&&' },
    });
  });

  it('reads templates, literals, unary operators and parentheses', () => {
    expect(parseCondition('!{{ input:a }}')).toMatchObject({
      kind: 'unary',
      op: '!',
      operand: { kind: 'value', expression: { kind: 'reference' } },
    });
    expect(parseCondition('-5')).toEqual({ kind: 'value', expression: { kind: 'literal', value: -5 } });
    expect(parseCondition('-<< a:b >>')).toMatchObject({ kind: 'unary', op: '-' });
    expect(parseCondition('\'x\' != "y"')).toMatchObject({ op: '!=' });
    expect(parseCondition('(1 + 2) * 3')).toMatchObject({ op: '*', left: { op: '+' } });
    expect(parseCondition('{{ a:b }}<{{ c:d }}')).toMatchObject({ op: '<' });
    expect(parseCondition('null == {{ a:b }}')).toMatchObject({ op: '==', left: { expression: { value: null } } });
  });

  it.each([
    ['{{ a:b }} &&', 'unexpected end of condition', 12],
    ['({{ a:b }}', "expected ')'", 10],
    ['{{ a:b }})', "unexpected ')'", 9],
    ['{{ a:b }} = 1', "unexpected character '=' (use '==')", 10],
    ['condition', "unexpected 'condition': write references inside {{ }}, e.g. {{ condition:field }}", 0],
    ['1 && {{ a:b', 'unterminated template', 5],
    ['1 @ 2', "unexpected character '@'", 2],
    ['1 + ()', 'expected an operand', 5],
    ['{{ a:b }} << c:d >>', "unexpected character '<'", 10],
  ])('%s → %s', (text, reason, offset) => {
    let error: unknown;
    try {
      parseCondition(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).reason).toBe(reason);
    expect((error as TemplateError).offset).toBe(offset);
  });
});

describe('buildCondition', () => {
  const express = '{{ input:express }} && {{ input:total }} >= 100';
  const standard = '!{{ input:express }} && ({{ input:total }} > 100 || {{ input:total }} == 100)';

  it('evaluates the conformance examples', () => {
    expect(check(express, { input: { express: true, total: 250 } })).toBe(true);
    expect(check(express, { input: { express: false, total: 250 } })).toBe(false);
    expect(check(express, { input: { express: true, total: 50 } })).toBe(false);
    expect(check(standard, { input: { express: false, total: 100 } })).toBe(true);
    expect(check(standard, { input: { express: false, total: 99 } })).toBe(false);
    expect(check(standard, { input: { total: 250 } })).toBe(true);
    expect(
      check('{{ product:stock }} > 0 && {{ input:express }}', { product: { stock: 3 }, input: { express: true } }),
    ).toBe(true);
  });

  it('applies precedence and parentheses', () => {
    expect(check('true || false && false')).toBe(true);
    expect(check('(true || false) && false')).toBe(false);
    expect(check('2 + 3 * 4 == 14')).toBe(true);
    expect(check('(2 + 3) * 4 == 20')).toBe(true);
    expect(check('10 - 2 - 3 == 5')).toBe(true);
    expect(check('!false && !0')).toBe(true);
    expect(check('!!{{ a:b }}', { a: { b: 'x' } })).toBe(true);
    expect(check('-{{ a:n }} == -3', { a: { n: 3 } })).toBe(true);
  });

  it('treats absent and null as equal and as falsy', () => {
    expect(check('{{ skipped:field }} == null')).toBe(true);
    expect(check('{{ skipped:field }} == {{ other:x }}', { other: { x: null } })).toBe(true);
    expect(check('{{ skipped:field }} != 0')).toBe(true);
    expect(check("{{ skipped:field }} == ''")).toBe(false);
    expect(check('{{ skipped:field }}')).toBe(false);
    expect(check('{{ skipped:field }} > 0')).toBe(false);
    expect(check('{{ skipped:field }} < 0')).toBe(false);
    expect(check('!{{ skipped:field }}')).toBe(true);
  });

  it('compares numbers, numeric strings, strings and bigints', () => {
    expect(check("{{ a:n }} == '100'", { a: { n: 100 } })).toBe(true);
    expect(check("'100' == 100")).toBe(true);
    expect(check("'100' == '100.0'")).toBe(false);
    expect(check("'abc' == 'abc'")).toBe(true);
    expect(check("'b' > 'a'")).toBe(true);
    expect(check("'10' < '9'")).toBe(true); // two strings compare lexically
    expect(check("'10' > 9")).toBe(true); // a numeric string against a number compares numerically
    expect(check("'abc' > 1")).toBe(false);
    expect(check('true == 1')).toBe(false);
    expect(check("true == 'true'")).toBe(false);
    expect(check('9007199254740993 > 9007199254740992')).toBe(true);
    expect(check('{{ a:big }} == 9007199254740993', { a: { big: 9007199254740993n } })).toBe(true);
    expect(check('{{ a:big }} == 9007199254740992', { a: { big: 9007199254740993n } })).toBe(false);
    expect(check('{{ a:big }} > 1.5', { a: { big: 2n } })).toBe(true);
    expect(check('{{ a:big }} + 1 == 9007199254740994', { a: { big: 9007199254740993n } })).toBe(true);
    expect(check('{{ a:x }} == {{ b:x }}', { a: { x: { k: [1, 2] } }, b: { x: { k: [1, 2] } } })).toBe(true);
  });

  it('does arithmetic: concatenation, division by zero, non-numbers', () => {
    expect(check("'a' + 'b' == 'ab'")).toBe(true);
    expect(check("'2' + 3 == 5")).toBe(true);
    expect(check('1 / 0 == null')).toBe(true);
    expect(check("'x' * 2 == null")).toBe(true);
    expect(check('7 / 2 == 3.5')).toBe(true);
    expect(check('{{ a:n }} / 2 == 3.5', { a: { n: 7n } })).toBe(true);
    expect(check('{{ a:n }} / 0 == null', { a: { n: 7n } })).toBe(true);
    expect(check('0.1 + 0.2 > 0.3')).toBe(true);
  });

  it('calls functions', () => {
    expect(check("{{ len(a:s) }} == 3 && {{ len('ab') }} < 3", { a: { s: 'abc' } })).toBe(true);
  });

  it('always returns a boolean', () => {
    const c = buildCondition(parseCondition('{{ a:b }}'), leaf, fn);
    expect(c({ a: { b: 'yes' } })).toBe(true);
    expect(c({ a: { b: '' } })).toBe(false);
    expect(buildCondition(parseCondition('1 + 1'), leaf, fn)({})).toBe(true);
  });
});

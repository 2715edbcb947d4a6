/**
 * Turns template and condition ASTs into closures, once, at compile time. The executor
 * only calls them: nothing here parses, looks a name up or walks the AST per request.
 *
 * The caller supplies how a reference is read (`leaf`, resolved by compile against the
 * plan) and which function a call names (`fn`); both are asked exactly once per node.
 */
import type { TemplateFunction } from '../functions/function.js';
import type { CallExpression, Condition, Expression, ReferenceExpression, Template } from './ast.js';
import { add, compare, divide, equals, multiply, negate, subtract } from './operators.js';
import { renderText } from './render.js';

export type Getter<C> = (ctx: C) => unknown;
/** Builds the reader of one reference; called once per reference node. */
export type LeafBuilder<C> = (ref: ReferenceExpression) => Getter<C>;
/** The function a call names; called once per call node. */
export type FunctionResolver = (call: CallExpression) => TemplateFunction;

export function buildExpression<C>(e: Expression, leaf: LeafBuilder<C>, fn: FunctionResolver): Getter<C> {
  switch (e.kind) {
    case 'literal': {
      const value = e.value;
      return () => value;
    }
    case 'reference':
      return leaf(e);
    case 'call':
      return buildCall(e, leaf, fn);
  }
}

/** A text template always gives a string; a single template gives the value itself. */
export function buildTemplate<C>(t: Template, leaf: LeafBuilder<C>, fn: FunctionResolver): Getter<C> {
  if (t.kind === 'plain') {
    const value = t.value;
    return () => value;
  }
  if (t.kind === 'single') return buildExpression(t.expression, leaf, fn);
  // statics[i] precedes values[i]; the last static follows the last value.
  const statics: string[] = [''];
  const values: Array<Getter<C>> = [];
  for (const part of t.parts) {
    if (typeof part === 'string') statics[statics.length - 1] += part;
    else {
      values.push(buildExpression(part, leaf, fn));
      statics.push('');
    }
  }
  if (values.length === 1) {
    const [before, after] = statics as [string, string];
    const value = values[0]!;
    return (ctx) => before + renderText(value(ctx)) + after;
  }
  return (ctx) => {
    let text = statics[0]!;
    for (let i = 0; i < values.length; i++) text += renderText(values[i]!(ctx)) + statics[i + 1]!;
    return text;
  };
}

/** A condition as a predicate; semantics in operators.ts. */
export function buildCondition<C>(c: Condition, leaf: LeafBuilder<C>, fn: FunctionResolver): (ctx: C) => boolean {
  const value = buildValue(c, leaf, fn);
  if (c.kind === 'binary' && isBooleanOp(c.op)) return value as (ctx: C) => boolean;
  if (c.kind === 'unary' && c.op === '!') return value as (ctx: C) => boolean;
  return (ctx) => !!value(ctx);
}

function isBooleanOp(op: string): boolean {
  return (
    op === '&&' || op === '||' || op === '==' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>='
  );
}

function buildValue<C>(c: Condition, leaf: LeafBuilder<C>, fn: FunctionResolver): Getter<C> {
  if (c.kind === 'value') return buildExpression(c.expression, leaf, fn);
  if (c.kind === 'unary') {
    const operand = buildValue(c.operand, leaf, fn);
    return c.op === '!' ? (ctx) => !operand(ctx) : (ctx) => negate(operand(ctx));
  }
  const l = buildValue(c.left, leaf, fn);
  const r = buildValue(c.right, leaf, fn);
  switch (c.op) {
    case '&&':
      return (ctx) => !!l(ctx) && !!r(ctx);
    case '||':
      return (ctx) => !!l(ctx) || !!r(ctx);
    case '==':
      return (ctx) => equals(l(ctx), r(ctx));
    case '!=':
      return (ctx) => !equals(l(ctx), r(ctx));
    case '<':
      return (ctx) => compare(l(ctx), r(ctx)) === -1;
    case '<=': {
      return (ctx) => {
        const order = compare(l(ctx), r(ctx));
        return order === -1 || order === 0;
      };
    }
    case '>':
      return (ctx) => compare(l(ctx), r(ctx)) === 1;
    case '>=': {
      return (ctx) => {
        const order = compare(l(ctx), r(ctx));
        return order === 1 || order === 0;
      };
    }
    case '+':
      return (ctx) => add(l(ctx), r(ctx));
    case '-':
      return (ctx) => subtract(l(ctx), r(ctx));
    case '*':
      return (ctx) => multiply(l(ctx), r(ctx));
    case '/':
      return (ctx) => divide(l(ctx), r(ctx));
  }
}

function buildCall<C>(call: CallExpression, leaf: LeafBuilder<C>, fn: FunctionResolver): Getter<C> {
  const f = fn(call);
  const args = call.args.map((arg) => buildExpression(arg, leaf, fn));
  // Literal arguments are known now: a function may prepare for them (sprintf parses a
  // literal format once here instead of on every request).
  const constants = call.args.map((arg) => (arg.kind === 'literal' ? { value: arg.value } : undefined));
  const invoke = f.specialize?.(constants) ?? f.invoke.bind(f);
  // Fixed arities avoid a loop and an intermediate map per request.
  switch (args.length) {
    case 0:
      return () => invoke([]);
    case 1: {
      const [a] = args as [Getter<C>];
      return (ctx) => invoke([a(ctx)]);
    }
    case 2: {
      const [a, b] = args as [Getter<C>, Getter<C>];
      return (ctx) => invoke([a(ctx), b(ctx)]);
    }
    case 3: {
      const [a, b, c] = args as [Getter<C>, Getter<C>, Getter<C>];
      return (ctx) => invoke([a(ctx), b(ctx), c(ctx)]);
    }
    default:
      return (ctx) => {
        const values = new Array<unknown>(args.length);
        for (let i = 0; i < args.length; i++) values[i] = args[i]!(ctx);
        return invoke(values);
      };
  }
}

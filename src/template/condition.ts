/**
 * Conditions of `if` blocks:
 *
 *   "!{{ input:express }} && ({{ input:total }} > 100 || {{ input:total }} == 100)"
 *
 * Operands are templates holding one expression, or bare literals (numbers, quoted
 * strings, true, false, null). Operators, loosest first:
 *
 *   ||   &&   == !=   < <= > >=   + -   * /   unary ! -   ( … )
 *
 * A precedence-climbing parser over the shared ExpressionReader; never eval.
 * Evaluation semantics live in operators.ts, closures in build.ts.
 */
import type { Condition } from './ast.js';
import { closerAt, ExpressionReader } from './expression.js';

type BinaryOp = Extract<Condition, { kind: 'binary' }>['op'];

const PRECEDENCE: Record<BinaryOp, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
};

/** Two-character operators first, so `<=` is not read as `<`. */
const OPERATORS: BinaryOp[] = ['||', '&&', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/'];

/** Parses a condition; throws TemplateError with the offset of the problem. */
export function parseCondition(text: string): Condition {
  const parser = new ConditionParser(text);
  const condition = parser.binary(1);
  parser.end();
  return condition;
}

class ConditionParser {
  private readonly reader: ExpressionReader;

  constructor(private readonly text: string) {
    this.reader = new ExpressionReader(text);
  }

  binary(minPrecedence: number): Condition {
    let left = this.unary();
    for (;;) {
      this.reader.skipSpace();
      const op = this.operator();
      if (op === undefined || PRECEDENCE[op] < minPrecedence) return left;
      this.reader.pos += op.length;
      const right = this.binary(PRECEDENCE[op] + 1);
      left = { kind: 'binary', op, left, right };
    }
  }

  end(): void {
    this.reader.skipSpace();
    if (this.reader.pos >= this.text.length) return;
    if (this.text[this.reader.pos] === ')') this.reader.fail("unexpected ')'");
    if (this.text[this.reader.pos] === '=') this.reader.fail("unexpected character '=' (use '==')");
    this.reader.unexpected();
  }

  private unary(): Condition {
    this.reader.skipSpace();
    const c = this.text[this.reader.pos];
    if (c === '!' && this.text[this.reader.pos + 1] !== '=') {
      this.reader.pos++;
      return { kind: 'unary', op: '!', operand: this.unary() };
    }
    if (c === '-') {
      this.reader.pos++;
      const operand = this.unary();
      // Fold `-5` into a literal so compile sees a plain number it can type-check.
      if (operand.kind === 'value' && operand.expression.kind === 'literal') {
        const v = operand.expression.value;
        if (typeof v === 'number' || typeof v === 'bigint')
          return { kind: 'value', expression: { kind: 'literal', value: -v } };
      }
      return { kind: 'unary', op: '-', operand };
    }
    return this.primary();
  }

  private primary(): Condition {
    const reader: ExpressionReader = this.reader;
    const c = this.text[reader.pos];
    if (c === undefined) reader.fail('unexpected end of condition');
    if (c === '(') {
      reader.pos++;
      const inner = this.binary(1);
      reader.skipSpace();
      if (this.text[reader.pos] !== ')') reader.fail("expected ')'");
      reader.pos++;
      return inner;
    }
    if (closerAt(this.text, reader.pos)) return { kind: 'value', expression: reader.template() };
    if (c === "'" || c === '"') return { kind: 'value', expression: { kind: 'literal', value: reader.string() } };
    if (c >= '0' && c <= '9') return { kind: 'value', expression: { kind: 'literal', value: reader.number() } };
    const start = reader.pos;
    if (/[A-Za-z_]/.test(c)) {
      const word = reader.ident();
      if (word === 'true' || word === 'false')
        return { kind: 'value', expression: { kind: 'literal', value: word === 'true' } };
      if (word === 'null') return { kind: 'value', expression: { kind: 'literal', value: null } };
      reader.pos = start;
      reader.fail(`unexpected '${word}': write references inside {{ }}, e.g. {{ ${word}:field }}`);
    }
    reader.fail(c === ')' ? 'expected an operand' : `unexpected character '${c}'`);
  }

  private operator(): BinaryOp | undefined {
    const pos = this.reader.pos;
    // `<<` opens a template, it is not an operator.
    if (this.text.startsWith('<<', pos)) return undefined;
    for (const op of OPERATORS) if (this.text.startsWith(op, pos)) return op;
    return undefined;
  }
}

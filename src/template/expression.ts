/**
 * The expression grammar shared by templates and conditions:
 *
 *   expression := literal | reference | call
 *   literal    := 'text' | "text" | -?digits[.digits][e±digits] | true | false | null
 *   reference  := ident [ '.' ident ] ':' path        input.header:Authorization
 *   path       := '' | '.' | segment { '.' segment }  segment := [A-Za-z0-9_-]+
 *   call       := ident '(' [ expression { ',' expression } ] ')'
 *   ident      := [A-Za-z_][A-Za-z0-9_-]*
 *
 * A hand-written reader (no regex soup, no eval) so that every error carries the offset
 * where it happened.
 */
import type { CallExpression, Expression, Literal, ReferenceExpression } from './ast.js';
import { TemplateError } from './error.js';

const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isIdentPart = (c: string | undefined): boolean => isIdentStart(c) || isDigit(c) || c === '-';
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0' };

/** The closer of a template opener at `pos`, or undefined when none starts there. */
export function closerAt(text: string, pos: number): '}}' | '>>' | undefined {
  if (text.startsWith('{{', pos)) return '}}';
  if (text.startsWith('<<', pos)) return '>>';
  return undefined;
}

/** Reads expressions out of `text` from `pos`; `pos` is left just after what was read. */
export class ExpressionReader {
  /** Offset of the template being read, so that running out of text reports its opener. */
  private opener = -1;

  constructor(
    readonly text: string,
    public pos = 0,
  ) {}

  /** `{{ expression }}` or `<< expression >>`; `pos` must be on the opener. */
  template(): Expression {
    const close = closerAt(this.text, this.pos);
    if (!close) this.fail('expected a template');
    this.opener = this.pos;
    this.pos += 2;
    this.skipSpace();
    const expression = this.expression();
    this.skipSpace();
    if (!this.text.startsWith(close, this.pos)) this.unexpected();
    this.pos += 2;
    this.opener = -1;
    return expression;
  }

  expression(): Expression {
    const c = this.text[this.pos];
    if (c === "'" || c === '"') return { kind: 'literal', value: this.string() };
    if (c === '-' || isDigit(c)) return { kind: 'literal', value: this.number() };
    if (isIdentStart(c)) return this.named();
    if (c === ')' || c === ',' || this.text.startsWith('}}', this.pos) || this.text.startsWith('>>', this.pos)) {
      this.fail('expected an expression');
    }
    this.unexpected();
  }

  /** A quoted string with backslash escapes; `pos` must be on the quote. */
  string(): string {
    const start = this.pos;
    const quote = this.text[this.pos++];
    let value = '';
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined) throw new TemplateError('unterminated string', start);
      if (c === quote) return value;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const e = this.text[this.pos++];
      if (e === undefined) throw new TemplateError('unterminated string', start);
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos, this.pos + 4))) {
        value += String.fromCharCode(parseInt(this.text.slice(this.pos, this.pos + 4), 16));
        this.pos += 4;
      } else {
        value += ESCAPES[e] ?? e; // \\ \' \" and any other escaped character stand for themselves
      }
    }
  }

  /** An integer (bigint beyond 2^53, so ids stay exact) or a decimal. */
  number(): number | bigint {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.unexpected();
    const text = match[0];
    this.pos += text.length;
    if (isIdentPart(this.text[this.pos]) || this.text[this.pos] === '.') this.unexpected();
    if (match[1] !== undefined || match[2] !== undefined) return Number(text);
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }

  ident(): string {
    const start = this.pos;
    if (!isIdentStart(this.text[this.pos])) this.unexpected();
    while (isIdentPart(this.text[this.pos])) this.pos++;
    return this.text.slice(start, this.pos);
  }

  skipSpace(): void {
    while (isSpace(this.text[this.pos])) this.pos++;
  }

  /** Throws at the current position; past the end of a template, at its opener. */
  fail(reason: string): never {
    if (this.pos >= this.text.length && this.opener >= 0) {
      throw new TemplateError('unterminated template', this.opener);
    }
    throw new TemplateError(reason, this.pos);
  }

  unexpected(): never {
    const c = this.text[this.pos];
    this.fail(c === undefined ? 'unexpected end of text' : `unexpected character '${c}'`);
  }

  /** An identifier followed by `(` (a call), `:` or `.part:` (a reference), or a keyword. */
  private named(): Expression {
    const start = this.pos;
    const name = this.ident();
    const c = this.text[this.pos];
    if (c === '(') return this.call(name, start);
    if (c === ':' || c === '.') return this.reference(name, start);
    const keyword = KEYWORDS.get(name);
    if (keyword !== undefined) return { kind: 'literal', value: keyword.value };
    this.fail(`expected ':' or '(' after '${name}'`);
  }

  private reference(resource: string, start: number): ReferenceExpression {
    let part: string | undefined;
    if (this.text[this.pos] === '.') {
      this.pos++;
      if (!isIdentStart(this.text[this.pos])) this.fail(`expected a part name after '${resource}.'`);
      part = this.ident();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after '${resource}.${part}'`);
    }
    this.pos++; // the ':'
    const pathStart = this.pos;
    while (isIdentPart(this.text[this.pos]) || this.text[this.pos] === '.') this.pos++;
    const raw = this.text.slice(pathStart, this.pos);
    let path: string[] = [];
    if (raw !== '' && raw !== '.') {
      path = raw.split('.');
      const empty = path.indexOf('');
      if (empty >= 0) throw new TemplateError('empty path segment', pathStart + emptyOffset(path, empty));
    }
    const text = this.text.slice(start, this.pos);
    return part === undefined
      ? { kind: 'reference', resource, path, text }
      : { kind: 'reference', resource, part, path, text };
  }

  private call(name: string, start: number): CallExpression {
    this.pos++; // the '('
    const args: Expression[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ')') {
      this.pos++;
    } else {
      for (;;) {
        this.skipSpace();
        args.push(this.expression());
        this.skipSpace();
        const c = this.text[this.pos];
        this.pos++;
        if (c === ')') break;
        if (c === ',') continue;
        this.pos--;
        this.fail("expected ')'");
      }
    }
    return { kind: 'call', name, args, text: this.text.slice(start, this.pos) };
  }
}

const KEYWORDS = new Map<string, { value: Literal }>([
  ['true', { value: true }],
  ['false', { value: false }],
  ['null', { value: null }],
]);

/** Offset inside the raw path of the empty segment at `index`. */
function emptyOffset(segments: string[], index: number): number {
  let offset = 0;
  for (let i = 0; i < index; i++) offset += segments[i]!.length + 1;
  return offset;
}

/**
 * Attribute values, read from the source text of the range tree-sitter gives for the
 * expression. Walking tree-sitter's nodes costs about a microsecond per property read
 * (each crosses into wasm), and a value has many nodes; a string read here costs nothing
 * like that. Only literals are accepted: strings (quoted or heredoc), numbers (negative
 * and with exponents too), booleans, null, tuples and objects of literals. Anything else
 * — a variable, a call, an operator, `${…}` — is a positioned error, because Maestro's
 * references are templates inside strings (`"{{ a:b }}"`).
 */
import type { Diagnostics } from '../errors.js';
import type { HclObject, HclValue, Pos } from '../spec/types.js';
import { setOwn } from './ast.js';
import { heredocText, unquote } from './hcl-text.js';
import { position } from './regions.js';

export interface Source {
  file: string;
  /** The text as written (tree-sitter may have seen a copy with exponents blanked). */
  text: string;
  lineStarts: number[];
  diagnostics: Diagnostics;
}

export interface Decoded {
  value: HclValue;
  /** For a tuple: where each element starts. */
  items?: Pos[];
}

const NOT_SUPPORTED = 'expressions are not supported here; quote the value';
const TEMPLATES = '"${…}" and "%{…}" are not supported; use "{{ … }}" templates, or "$${" for a literal "${"';
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const IDENTIFIER = /[\p{ID_Start}_][\p{ID_Continue}-]*/uy;
const HEREDOC = /<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/y;
const SPACE = /(?:[ \t\r]|#[^\n]*|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/y;
const SPACE_AND_NEWLINES = /(?:\s|#[^\n]*|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/y;

class Failure extends Error {}

/** Reads the literal in `text[start, end)`; reports and returns undefined when it is not one. */
export function readValue(source: Source, start: number, end: number): Decoded | undefined {
  const reader = new LiteralReader(source, end);
  try {
    reader.at = start;
    const decoded = reader.value(false);
    reader.skip(SPACE_AND_NEWLINES);
    if (reader.at < end) reader.fail(reader.at);
    return decoded;
  } catch (error) {
    if (error instanceof Failure) return undefined;
    throw error;
  }
}

/** Reads a quoted block label starting at `start`. */
export function readLabel(source: Source, start: number): string | undefined {
  const reader = new LiteralReader(source, source.text.length);
  try {
    reader.at = start;
    const decoded = reader.value(false);
    return typeof decoded.value === 'string'
      ? decoded.value
      : reader.fail(start, 'a block label must be a quoted string');
  } catch (error) {
    if (error instanceof Failure) return undefined;
    throw error;
  }
}

class LiteralReader {
  at = 0;

  constructor(
    private readonly source: Source,
    private readonly end: number,
  ) {}

  fail(at: number, message = NOT_SUPPORTED): never {
    const { file, lineStarts, diagnostics } = this.source;
    diagnostics.error('MAESTRO_ERR_HCL_EXPRESSION', position(file, lineStarts, at), message);
    throw new Failure(message);
  }

  skip(pattern: RegExp): void {
    pattern.lastIndex = this.at;
    if (pattern.exec(this.source.text)) this.at = Math.min(pattern.lastIndex, this.end);
  }

  private match(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.at;
    const match = pattern.exec(this.source.text);
    if (match && pattern.lastIndex <= this.end) {
      this.at = pattern.lastIndex;
      return match;
    }
    return null;
  }

  value(nested: boolean): Decoded {
    this.skip(nested ? SPACE_AND_NEWLINES : SPACE);
    const text = this.source.text;
    const c = text[this.at];
    if (c === '"') return { value: this.quoted() };
    if (c === '[') return this.tuple();
    if (c === '{') return { value: this.object() };
    if (c === '<' && text[this.at + 1] === '<') return { value: this.heredoc() };
    const start = this.at;
    const number = this.match(NUMBER);
    if (number) return { value: toNumber(number[0]) };
    const word = this.match(IDENTIFIER)?.[0];
    if (word === 'true' || word === 'false') return { value: word === 'true' };
    if (word === 'null') return { value: null };
    return this.fail(start);
  }

  private quoted(): string {
    const text = this.source.text;
    const start = this.at;
    let i = start + 1;
    for (; i < this.end; i++) {
      const c = text[i];
      if (c === '\\') i++;
      else if (c === '"') break;
      else if (c === '\n') this.fail(start, 'a quoted string may not span lines; use "\\n" or a heredoc (<<EOT)');
      else if ((c === '$' || c === '%') && text[i + 1] === '{') {
        if (text[i - 1] === c) i++;
        else this.fail(i, TEMPLATES);
      }
    }
    if (i >= this.end) this.fail(start, 'unterminated string');
    this.at = i + 1;
    const decoded = unquote(text.slice(start + 1, i));
    return 'error' in decoded ? this.fail(start, decoded.error) : decoded.text;
  }

  private heredoc(): string {
    const start = this.at;
    const intro = this.match(HEREDOC);
    if (!intro) return this.fail(start);
    const text = this.source.text;
    const body = this.at;
    for (let line = body; line < this.end;) {
      const next = text.indexOf('\n', line);
      const lineEnd = next < 0 || next > this.end ? this.end : next;
      if (text.slice(line, lineEnd).trim() === intro[2]) {
        const raw = text.slice(body, line);
        if (/(^|[^$])\$\{|(^|[^%])%\{/.test(raw)) this.fail(start, TEMPLATES);
        this.at = lineEnd;
        return heredocText(raw, intro[1] === '-');
      }
      line = lineEnd + 1;
    }
    return this.fail(start, 'unterminated heredoc');
  }

  private tuple(): Decoded {
    const value: HclValue[] = [];
    const items: Pos[] = [];
    const { file, lineStarts } = this.source;
    this.at++;
    for (;;) {
      this.skip(SPACE_AND_NEWLINES);
      if (this.source.text[this.at] === ']') break;
      items.push(position(file, lineStarts, this.at));
      value.push(this.value(true).value);
      this.skip(SPACE_AND_NEWLINES);
      const c = this.source.text[this.at];
      if (c === ']') break;
      if (c !== ',') this.fail(this.at);
      this.at++;
    }
    this.at++;
    return { value, items };
  }

  private object(): HclObject {
    const value: HclObject = {};
    const text = this.source.text;
    this.at++;
    for (;;) {
      this.skip(SPACE_AND_NEWLINES);
      if (text[this.at] === '}') break;
      const keyAt = this.at;
      const key = text[this.at] === '"' ? this.quoted() : this.match(IDENTIFIER)?.[0];
      if (key === undefined) this.fail(keyAt, 'an object key must be a name or a quoted string');
      if (Object.hasOwn(value, key)) this.fail(keyAt, `duplicate object key "${key}"`);
      this.skip(SPACE);
      if (text[this.at] !== '=' && text[this.at] !== ':') this.fail(this.at);
      this.at++;
      setOwn(value, key, this.value(true).value);
      this.skip(SPACE);
      if (text[this.at] === ',' || text[this.at] === '\n') this.at++;
      else if (text[this.at] !== '}') this.fail(this.at);
    }
    this.at++;
    return value;
  }
}

/** Integers beyond 2^53 become bigint so they stay exact. */
function toNumber(text: string): number | bigint {
  if (/^-?\d+$/.test(text)) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : BigInt(text);
  }
  return Number(text);
}

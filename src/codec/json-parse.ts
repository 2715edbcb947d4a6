/**
 * An exact JSON parser: integers beyond 2^53 become `bigint` instead of losing digits.
 * JSON.parse stays the fast path; this one runs only when a body holds a run of 16+
 * digits (a possibly unsafe integer) or when JSON.parse failed and the position of the
 * error is wanted (V8's messages on Node 20 no longer always give it).
 */

/** Malformed JSON; `position` is the 0-based offset of the offending character. */
export class JsonSyntaxError extends Error {
  constructor(readonly position: number) {
    super(`malformed JSON at position ${position}`);
  }
}

const HEX4 = /^[0-9a-fA-F]{4}$/;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Parser {
  private i = 0;

  constructor(private readonly text: string) {}

  parse(): unknown {
    const value = this.value();
    this.space();
    if (this.i < this.text.length) this.fail();
    return value;
  }

  private fail(): never {
    throw new JsonSyntaxError(this.i);
  }

  private space(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
      this.i++;
    }
  }

  private value(): unknown {
    this.space();
    const t = this.text;
    switch (t[this.i]) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return this.string();
      case 't':
        return this.word('true', true);
      case 'f':
        return this.word('false', false);
      case 'n':
        return this.word('null', null);
      default:
        return this.number();
    }
  }

  private word<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.i)) this.fail();
    this.i += word.length;
    return value;
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.space();
    if (this.text[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.i] !== '"') this.fail();
      const key = this.string();
      this.space();
      if (this.text[this.i] !== ':') this.fail();
      this.i++;
      const value = this.value();
      // As JSON.parse does: "__proto__" is an own key, never the prototype.
      if (key === '__proto__')
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
      this.space();
      const c = this.text[this.i++];
      if (c === '}') return out;
      if (c !== ',') {
        this.i--;
        this.fail();
      }
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.space();
    if (this.text[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      const c = this.text[this.i++];
      if (c === ']') return out;
      if (c !== ',') {
        this.i--;
        this.fail();
      }
    }
  }

  private string(): string {
    const t = this.text;
    let out = '';
    let start = ++this.i;
    for (;;) {
      if (this.i >= t.length) this.fail();
      const c = t.charCodeAt(this.i);
      if (c === 34) break;
      if (c < 32) this.fail();
      if (c !== 92) {
        this.i++;
        continue;
      }
      out += t.slice(start, this.i);
      const e = t[++this.i] ?? '';
      if (e === 'u') {
        const hex = t.slice(this.i + 1, this.i + 5);
        if (!HEX4.test(hex)) this.fail();
        out += String.fromCharCode(parseInt(hex, 16));
        this.i += 5;
      } else {
        const escaped = ESCAPES[e];
        if (escaped === undefined) this.fail();
        out += escaped;
        this.i++;
      }
      start = this.i;
    }
    out += t.slice(start, this.i);
    this.i++;
    return out;
  }

  private number(): number | bigint {
    const t = this.text;
    const start = this.i;
    if (t[this.i] === '-') this.i++;
    if (t[this.i] === '0') this.i++;
    else if (!this.digits()) this.fail();
    let integral = true;
    if (t[this.i] === '.') {
      this.i++;
      integral = false;
      if (!this.digits()) this.fail();
    }
    if (t[this.i] === 'e' || t[this.i] === 'E') {
      this.i++;
      integral = false;
      if (t[this.i] === '+' || t[this.i] === '-') this.i++;
      if (!this.digits()) this.fail();
    }
    const text = t.slice(start, this.i);
    const value = Number(text);
    return integral && !Number.isSafeInteger(value) ? BigInt(text) : value;
  }

  private digits(): boolean {
    const start = this.i;
    while (this.i < this.text.length) {
      const c = this.text.charCodeAt(this.i);
      if (c < 48 || c > 57) break;
      this.i++;
    }
    return this.i > start;
  }
}

/** Parses JSON, keeping integers beyond 2^53 exact; throws JsonSyntaxError. */
export function parseJsonExact(text: string): unknown {
  return new Parser(text).parse();
}

/**
 * The copy of a file that tree-sitter parses. Two changes, both invisible to the rest of
 * the decoder thanks to an offset map back to the original text:
 *
 * - Quoted string contents are removed (`"abc"` → `""`). tree-sitter-hcl lexes strings
 *   one character at a time in its external scanner, which is over half of its parse
 *   time; the decoder reads values from the original text anyway. Strings that do not
 *   close on their line are left alone so tree-sitter still reports them.
 * - `1e3` exponents are blanked with spaces (the grammar reads `1` then a stray `e3`).
 *
 *   original:  a = "hello" + 1e3        offsets map back by binary search over the
 *   parsed:    a = ""      + 1          points where a string's content was removed
 */
import { scanRegions } from './regions.js';

export interface Prepared {
  /** What tree-sitter parses. */
  text: string;
  /** Maps an offset in `text` to the offset in the original. */
  toOriginal(offset: number): number;
  /** Where the first quoted string that does not close on its line opens, if any. */
  unterminated?: number;
}

const EXPONENT = /(\d+(?:\.\d+)?)[eE][+-]?\d+/g;

export function prepareForParser(original: string): Prepared {
  const at: number[] = [0];
  const shift: number[] = [0];
  let text = '';
  let copied = 0;
  let removed = 0;
  let unterminated: number | undefined;
  for (const region of scanRegions(original)) {
    const closed = region.kind === 'string' && original[region.end] === '"';
    if (region.kind === 'string' && !closed) unterminated ??= region.start - 1;
    if (closed && region.end > region.start) {
      text += original.slice(copied, region.start);
      copied = region.end;
      removed += region.end - region.start;
      at.push(text.length);
      shift.push(removed);
    } else if (region.kind === 'code' && /\d[eE]/.test(original.slice(region.start, region.end))) {
      text += original.slice(copied, region.start) + blankExponents(original.slice(region.start, region.end));
      copied = region.end;
    }
  }
  text += original.slice(copied);
  const toOriginal =
    removed === 0 ? (offset: number) => offset : (offset: number) => offset + shift[lastAtOrBefore(at, offset)]!;
  return unterminated === undefined ? { text, toOriginal } : { text, toOriginal, unterminated };
}

function lastAtOrBefore(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sorted[mid]! <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Replaces each exponent with spaces, keeping the length, unless it is part of a name. */
function blankExponents(code: string): string {
  return code.replace(EXPONENT, (match: string, mantissa: string, index: number) =>
    partOfIdentifier(code, index) ? match : mantissa + ' '.repeat(match.length - mantissa.length),
  );
}

/** `a-1e3` and `x1e3` are identifiers, not numbers. */
function partOfIdentifier(code: string, at: number): boolean {
  const before = code[at - 1] ?? ' ';
  if (/[A-Za-z0-9_.]/.test(before)) return true;
  return before === '-' && /[A-Za-z0-9_]/.test(code[at - 2] ?? ' ');
}

/**
 * A light lexical pass over raw HCL text, run before tree-sitter sees it. It only tells
 * code, quoted strings, heredoc bodies and comments apart, which is what env expansion
 * (escape differently per context, leave comments alone) and prepare.ts (drop string
 * contents, fix exponents in code) need. One linear scan; no allocation per character.
 * Also: offset → line:column, shared by every diagnostic of the decoder.
 */
import type { Pos } from '../spec/types.js';

export type RegionKind = 'code' | 'string' | 'heredoc' | 'comment';

export interface Region {
  kind: RegionKind;
  start: number;
  end: number;
}

const HEREDOC_INTRO = /<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/y;

/** Splits `text` into consecutive regions covering it entirely. */
export function scanRegions(text: string): Region[] {
  const regions: Region[] = [];
  let codeStart = 0;
  let i = 0;
  const push = (kind: RegionKind, start: number, end: number): void => {
    if (end > start) regions.push({ kind, start, end });
  };
  while (i < text.length) {
    const c = text.charCodeAt(i);
    let end = -1;
    let kind: RegionKind = 'comment';
    let from = i;
    if (c === 0x23 /* # */ || (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2f)) {
      end = lineEnd(text, i);
    } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const close = text.indexOf('*/', i + 2);
      end = close < 0 ? text.length : close + 2;
    } else if (c === 0x22 /* " */) {
      kind = 'string';
      from = i + 1;
      end = stringEnd(text, from);
    } else if (c === 0x3c /* < */ && text.charCodeAt(i + 1) === 0x3c) {
      HEREDOC_INTRO.lastIndex = i;
      const intro = HEREDOC_INTRO.exec(text);
      if (intro) {
        kind = 'heredoc';
        from = i + intro[0].length;
        end = heredocEnd(text, from, intro[1]!);
      }
    }
    if (end < 0) {
      i++;
      continue;
    }
    push('code', codeStart, from);
    push(kind, from, end);
    codeStart = end;
    // The closing quote belongs to the code that follows; scanning resumes after it.
    i = kind === 'string' && text.charCodeAt(end) === 0x22 ? end + 1 : end;
  }
  push('code', codeStart, text.length);
  return regions;
}

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl;
}

/** The index of the closing quote (or of the line end, for an unterminated string). */
function stringEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22 || c === 0x0a) return i;
  }
  return text.length;
}

/** The start of the line holding the closing identifier (or the end of the text). */
function heredocEnd(text: string, from: number, id: string): number {
  let line = from;
  while (line < text.length) {
    const end = lineEnd(text, line);
    if (text.slice(line, end).trim() === id) return line;
    line = end + 1;
  }
  return text.length;
}

/** Offsets where each line starts, for turning an offset into a line cheaply. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The 1-based position of `offset`; columns count UTF-16 units, as tree-sitter's do. */
export function position(file: string, starts: number[], offset: number): Pos {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { file, line: lo + 1, column: offset - starts[lo]! + 1 };
}

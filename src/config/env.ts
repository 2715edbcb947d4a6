/**
 * `$NAME` / `${NAME}` expansion on raw HCL text, as Semaphore did with os.ExpandEnv, but
 * safe: a value is escaped for the place it lands in (a quoted string, a heredoc), so it
 * can neither end the string, open an HCL template, nor move later lines. Comments are
 * left alone. Values never appear in diagnostics: only variable names do.
 */
import type { Diagnostics } from '../errors.js';
import { lineStarts, position, scanRegions, type RegionKind } from './regions.js';

export interface ExpandedText {
  text: string;
  /** 1-based lines where at least one variable was substituted. */
  expandedLines: Set<number>;
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

export function expandEnv(
  text: string,
  env: Record<string, string | undefined>,
  file: string,
  diagnostics: Diagnostics,
): ExpandedText {
  const expandedLines = new Set<number>();
  if (!text.includes('$')) return { text, expandedLines };
  const lines = lineStarts(text);
  let out = '';
  for (const region of scanRegions(text)) {
    const chunk = text.slice(region.start, region.end);
    if (region.kind === 'comment' || !chunk.includes('$')) {
      out += chunk;
      continue;
    }
    out += expandChunk(text, region.start, region.end, region.kind, (name, at) => {
      const pos = position(file, lines, at);
      expandedLines.add(pos.line);
      const value = env[name];
      if (value === undefined) {
        diagnostics.warn(
          'MAESTRO_WARN_ENV_UNSET',
          pos,
          `environment variable ${name} is not set; using an empty string`,
        );
      }
      return value ?? '';
    });
  }
  return { text: out, expandedLines };
}

type Lookup = (name: string, at: number) => string;

function expandChunk(text: string, start: number, end: number, kind: RegionKind, lookup: Lookup): string {
  let out = '';
  let copied = start;
  for (let i = text.indexOf('$', start); i >= 0 && i < end; i = text.indexOf('$', i)) {
    const next = text[i + 1];
    if (next === '$') {
      // `$${` must reach HCL intact (it means a literal `${`); `$$` alone is a literal `$`.
      out += text.slice(copied, i) + (text[i + 2] === '{' ? '$${' : '$');
      i += text[i + 2] === '{' ? 3 : 2;
      copied = i;
      continue;
    }
    const braced = next === '{';
    NAME.lastIndex = braced ? i + 2 : i + 1;
    const match = NAME.exec(text);
    const nameEnd = match ? NAME.lastIndex : -1;
    if (!match || nameEnd > end || (braced && text[nameEnd] !== '}')) {
      i++;
      continue;
    }
    out += text.slice(copied, i) + escapeFor(kind, lookup(match[0], i));
    i = copied = braced ? nameEnd + 1 : nameEnd;
  }
  return out + text.slice(copied, end);
}

function escapeFor(kind: RegionKind, value: string): string {
  if (kind === 'string') {
    return value.replace(/[\\"\n\r\t]|\$\{|%\{/g, (s) => STRING_ESCAPES[s] ?? s);
  }
  if (kind === 'heredoc') return value.replace(/\$\{|%\{/g, (s) => STRING_ESCAPES[s] ?? s);
  return value;
}

const STRING_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '${': '$${',
  '%{': '%%{',
};

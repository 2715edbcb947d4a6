/**
 * File globs for `--config`, `include` and `protobuffers` (Node 20 has no fs.globSync).
 * Supports `*`, `?`, `[…]` (with `!` or `^` to negate), `**` (any depth of directories)
 * and `{a,b}`. As in shells, `*` and `?` do not match a leading dot, and `**` does not
 * enter dot-directories or follow symlinked directories (no loops).
 */
import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join, resolve, sep } from 'node:path';

const MAGIC = /[*?[]/;

/** Absolute, sorted, deduplicated paths of the files `pattern` matches under `cwd`. */
export function expandGlob(pattern: string, cwd: string): string[] {
  const found = new Set<string>();
  for (const alternative of expandBraces(pattern)) {
    const absolute = resolve(cwd, alternative);
    if (!MAGIC.test(absolute)) {
      if (existsSync(absolute)) found.add(absolute);
      continue;
    }
    const segments = absolute.split(sep);
    let fixed = 0;
    while (fixed < segments.length && !MAGIC.test(segments[fixed]!)) fixed++;
    const base = segments.slice(0, fixed).join(sep) || sep;
    const magic = segments.slice(fixed).map(compileSegment);
    // `dir/**` means every file below dir.
    if (magic.at(-1) === '**') magic.push(compileSegment('*'));
    walk(base, magic, found);
  }
  return [...found].sort();
}

/** Whether a string uses glob syntax (and so may match zero or many files). */
export function isGlob(pattern: string): boolean {
  return MAGIC.test(pattern) || /\{[^}]*,[^}]*\}/.test(pattern);
}

type Segment = RegExp | '**';

function walk(dir: string, segments: Segment[], found: Set<string>): void {
  const [segment, ...rest] = segments;
  if (segment === undefined) return;
  if (segment === '**') {
    walk(dir, rest, found);
    for (const entry of list(dir)) {
      if (entry.isDirectory() && !entry.name.startsWith('.')) walk(join(dir, entry.name), segments, found);
    }
    return;
  }
  for (const entry of list(dir)) {
    if (!segment.test(entry.name)) continue;
    const path = join(dir, entry.name);
    if (rest.length === 0) {
      if (isFile(entry, path)) found.add(path);
    } else if (entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(path))) {
      walk(path, rest, found);
    }
  }
}

function list(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function isFile(entry: Dirent, path: string): boolean {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function compileSegment(segment: string): Segment {
  if (segment === '**') return '**';
  let source = segment.startsWith('.') ? '' : '(?!\\.)';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let set = segment.slice(i + 1, close);
      const negate = set[0] === '!' || set[0] === '^';
      if (negate) set = set.slice(1);
      source += `[${negate ? '^' : ''}${set.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else {
      source += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/** `a{b,c{d,e}}f` → `abf`, `acdf`, `acef`. An unmatched or comma-less brace is literal. */
export function expandBraces(pattern: string): string[] {
  const open = findBrace(pattern);
  if (!open) return [pattern];
  const { start, end, parts } = open;
  const before = pattern.slice(0, start);
  const after = pattern.slice(end + 1);
  return parts.flatMap((part) => expandBraces(before + part + after));
}

function findBrace(pattern: string): { start: number; end: number; parts: string[] } | undefined {
  for (let start = pattern.indexOf('{'); start >= 0; start = pattern.indexOf('{', start + 1)) {
    let depth = 0;
    let from = start + 1;
    const parts: string[] = [];
    for (let i = start; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        parts.push(pattern.slice(from, i));
        if (parts.length > 1) return { start, end: i, parts };
        break;
      } else if (c === ',' && depth === 1) {
        parts.push(pattern.slice(from, i));
        from = i + 1;
      }
    }
  }
  return undefined;
}

/**
 * File globs for `--config`, `include` and `protobuffers` (Node 20 has no fs.globSync),
 * matched by tinyglobby: `*`, `?`, `[…]` (with `!` or `^` to negate), `**` and `{a,b}`.
 * As in shells, `*` and `?` do not match a leading dot, and `**` does not enter
 * dot-directories. Symlinked directories are not followed (no loops). Each brace
 * alternative is split here into the fixed directory it starts from and the magic rest,
 * so absolute and `../` patterns work.
 */
import { existsSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { globSync } from 'tinyglobby';

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
    let magic = segments.slice(fixed).join('/');
    // `dir/**` means every file below dir.
    if (magic === '**' || magic.endsWith('/**')) magic += '/*';
    const files = globSync(magic, {
      cwd: base,
      absolute: true,
      onlyFiles: true,
      dot: false,
      followSymbolicLinks: false,
      expandDirectories: false,
    });
    for (const file of files) found.add(resolve(file));
  }
  return [...found].sort();
}

/** Whether a string uses glob syntax (and so may match zero or many files). */
export function isGlob(pattern: string): boolean {
  return MAGIC.test(pattern) || /\{[^}]*,[^}]*\}/.test(pattern);
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

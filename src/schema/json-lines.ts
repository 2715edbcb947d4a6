/**
 * The path of every line of `JSON.stringify(value, null, 2)`: validators that quote a
 * document in that layout name a line, and this turns the line back into a path (which
 * the source document maps to where the file writes it).
 */
import type { PathSegment } from './document.js';

/** `lines[n - 1]` is the path whose key or value starts on line n. */
export function jsonLinePaths(value: unknown): PathSegment[][] {
  const lines: PathSegment[][] = [];
  const walk = (v: unknown, path: PathSegment[]): void => {
    if (Array.isArray(v)) {
      lines.push(path);
      if (v.length === 0) return;
      v.forEach((item, i) => walk(item === undefined || typeof item === 'function' ? null : item, [...path, i]));
      lines.push(path);
      return;
    }
    if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v).filter((k) => {
        const item = (v as Record<string, unknown>)[k];
        return item !== undefined && typeof item !== 'function';
      });
      lines.push(path);
      if (keys.length === 0) return;
      for (const key of keys) walk((v as Record<string, unknown>)[key], [...path, key]);
      lines.push(path);
      return;
    }
    lines.push(path);
  };
  walk(value, []);
  return lines;
}

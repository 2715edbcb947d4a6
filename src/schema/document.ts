/**
 * YAML and JSON schema files (OpenAPI, Avro) read with positions: the `yaml` package
 * parses both (JSON is YAML) and keeps every node's source range, so a problem found
 * anywhere in the document is reported at its own file:line.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostics } from '../errors.js';
import type { Pos } from '../spec/types.js';

export type PathSegment = string | number;

export interface SourceDocument {
  file: string;
  /** The document as plain data (JSON-like). */
  value: unknown;
  /** Where `path` is written: the key of its last segment, else the nearest written ancestor. */
  at(path: readonly PathSegment[]): Pos;
}

/** Reads and parses `file`; undefined (with diagnostics at `from` or in the file) when it cannot. */
export function readSourceDocument(
  file: string,
  from: Pos,
  diagnostics: Diagnostics,
  what: string,
): SourceDocument | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    diagnostics.error('MAESTRO_ERR_SCHEMA_READ', from, `cannot read ${what} ${file}: ${(error as Error).message}`);
    return undefined;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const pos = error.linePos?.[0];
      diagnostics.error(
        'MAESTRO_ERR_SCHEMA_SYNTAX',
        { file, line: pos?.line ?? 1, column: pos?.col ?? 1 },
        `invalid ${what}: ${error.message.split('\n')[0]}`,
      );
    }
    return undefined;
  }
  const at = (offset: number | undefined): Pos => {
    if (offset === undefined) return { file, line: 1, column: 1 };
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
  return { file, value: doc.toJS({ maxAliasCount: 100 }), at: (path) => at(offsetOf(doc, path)) };
}

function offsetOf(doc: Document, path: readonly PathSegment[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (!pair) return offset;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) return offset;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

/**
 * Where an imported .proto comes from: the disk (relative to the importing file, then to
 * each glob's base directory) or the built-ins (`api/annotations.proto` and the
 * `google/protobuf/*.proto` well-known types that ship with protobufjs).
 */
import { stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import protobuf from 'protobufjs';
import { ANNOTATIONS_PATH, ANNOTATIONS_PROTO } from './annotations.js';

/** The contents of one schema file, before parsing. */
export interface Source {
  /** Absolute path for a disk file, the import path for a built-in. */
  name: string;
  builtin: boolean;
  /** .proto text. */
  text?: string;
  /** protobufjs JSON (its bundled well-known types come only in this form). */
  json?: protobuf.INamespace;
}

const GLOB_CHARS = /[*?[{]/;

/** The directory part of a pattern before its first glob character: `/a/proto/*.proto` → `/a/proto`. */
export function globBase(pattern: string): string {
  const segments = pattern.split(/[\\/]/);
  const index = segments.findIndex((segment) => GLOB_CHARS.test(segment));
  if (index === -1) return path.dirname(pattern);
  return segments.slice(0, index).join('/') || '/';
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds an import: relative to the importing file, then to each base directory, then
 * among the built-ins. Returns an absolute path, a built-in name, or undefined.
 */
export async function resolveImport(
  importPath: string,
  fromDir: string | undefined,
  bases: readonly string[],
): Promise<{ name: string; builtin: boolean } | undefined> {
  if (path.isAbsolute(importPath)) return (await isFile(importPath)) ? { name: importPath, builtin: false } : undefined;
  const dirs = fromDir === undefined ? bases : [fromDir, ...bases];
  for (const dir of dirs) {
    const candidate = path.resolve(dir, importPath);
    if (await isFile(candidate)) return { name: candidate, builtin: false };
  }
  return builtinSource(importPath) ? { name: importPath, builtin: true } : undefined;
}

let protobufDir: string | undefined;

/** protobufjs ships descriptor.proto, api.proto, type.proto … as files beside its package.json. */
function protobufjsDir(): string {
  protobufDir ??= path.dirname(createRequire(import.meta.url).resolve('protobufjs/package.json'));
  return protobufDir;
}

const builtins = new Map<string, Source | null>();

/** A built-in schema file by import path, or undefined. Read once per process. */
export function builtinSource(importPath: string): Source | undefined {
  const cached = builtins.get(importPath);
  if (cached !== undefined) return cached ?? undefined;
  let source: Source | null = null;
  if (importPath === ANNOTATIONS_PATH) {
    source = { name: importPath, builtin: true, text: ANNOTATIONS_PROTO };
  } else if (importPath.startsWith('google/protobuf/')) {
    const json = protobuf.common.get(importPath);
    if (json) {
      source = { name: importPath, builtin: true, json };
    } else {
      try {
        const text = readFileSync(path.join(protobufjsDir(), importPath), 'utf8');
        source = { name: importPath, builtin: true, text };
      } catch {
        source = null;
      }
    }
  }
  builtins.set(importPath, source);
  return source ?? undefined;
}

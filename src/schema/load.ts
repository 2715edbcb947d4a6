/**
 * Loads .proto files into one protobufjs Root and builds the registry.
 *
 *   glob ─▶ files ─▶ parse each into its own Root ─▶ imports first (depth-first)
 *                                    │
 *                                    └─▶ merge into the shared Root ─▶ resolve ─▶ registry
 *
 * Every problem (syntax, missing import, conflicting duplicate, unknown type) becomes a
 * positioned diagnostic; nothing here throws for a bad schema.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import protobuf from 'protobufjs';
import type { Diagnostics } from '../errors.js';
import type { Pos, Positioned } from '../spec/types.js';
import { expandGlob } from '../config/glob.js';
import { buildRegistry } from './build.js';
import { Positions, checkTypes, mergeNamespace, stampFilename } from './merge.js';
import { scanDeclarations } from './positions.js';
import { builtinSource, globBase, resolveImport, type Source } from './sources.js';
import type { ConvertedFile } from './descriptor.js';
import type { SchemaRegistry } from './types.js';

// protobufjs reports syntax errors as "illegal token 'x' (line 3)" or "… (file, line 3)".
const LINE = /line (\d+)/;

/** Field names stay exactly as written in the proto (`userId`, `request_codec`). */
const PARSE_OPTIONS: protobuf.IParseOptions = { keepCase: true };

class SchemaLoader {
  readonly root = new protobuf.Root();
  readonly positions = new Positions();
  /** Disk files, in load order. */
  readonly files: string[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly bases: readonly string[],
    private readonly diagnostics: Diagnostics,
  ) {}

  /** Loads a file and, before it, everything it imports; `from` is where it was named. */
  async load(name: string, builtin: boolean, from: Pos): Promise<void> {
    if (this.seen.has(name)) return;
    this.seen.add(name);
    const source = builtin ? builtinSource(name) : await this.read(name, from);
    if (!source) return;
    const parsed = this.parse(source);
    if (!parsed) return;
    if (!builtin) this.files.push(name);

    const dir = builtin ? undefined : path.dirname(name);
    const importPositions = this.positions.imports(name);
    for (const imported of parsed.imports) {
      const at = importPositions?.get(imported) ?? { file: name, line: 0, column: 0 };
      const found = await resolveImport(imported, dir, this.bases);
      if (!found) {
        this.diagnostics.error(
          'MAESTRO_ERR_SCHEMA_IMPORT',
          at,
          `import "${imported}" not found next to ${name} nor under ${this.bases.join(', ') || 'the protobuffers directories'}`,
        );
        continue;
      }
      await this.load(found.name, found.builtin, at);
    }
    mergeNamespace(this.root, parsed.root, this.positions, this.diagnostics);
  }

  private async read(file: string, from: Pos): Promise<Source | undefined> {
    try {
      return { name: file, builtin: false, text: await readFile(file, 'utf8') };
    } catch (error) {
      this.diagnostics.error('MAESTRO_ERR_SCHEMA_READ', from, `cannot read ${file}: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Parses into a temporary Root; a syntax error becomes a diagnostic. */
  private parse(source: Source): { root: protobuf.Root; imports: string[] } | undefined {
    if (source.json) {
      const root = protobuf.Root.fromJSON(source.json);
      stampFilename(root, source.name);
      return { root, imports: [] };
    }
    const text = source.text ?? '';
    this.positions.add(source.name, scanDeclarations(text, source.name));
    let result: protobuf.IParserResult;
    try {
      result = protobuf.parse(text, new protobuf.Root(), PARSE_OPTIONS);
    } catch (error) {
      const message = (error as Error).message;
      const line = Number(LINE.exec(message)?.[1] ?? 0);
      this.diagnostics.error(
        'MAESTRO_ERR_SCHEMA_SYNTAX',
        { file: source.name, line, column: 0 },
        `invalid proto: ${message}`,
      );
      return undefined;
    }
    stampFilename(result.root, source.name);
    return { root: result.root, imports: [...(result.imports ?? []), ...(result.weakImports ?? [])] };
  }
}

/**
 * Loads every .proto file the (absolute) globs match, with their imports, into one
 * registry. A glob that matches nothing is a warning; schema errors are diagnostics.
 */
export async function loadSchemas(
  globs: Positioned<string>[],
  diagnostics: Diagnostics,
  converted: ConvertedFile[] = [],
): Promise<SchemaRegistry> {
  const bases = [...new Set(globs.map((glob) => globBase(glob.value)))];
  const loader = new SchemaLoader(bases, diagnostics);
  // Types converted from OpenAPI and Avro files merge like a parsed .proto file.
  for (const file of converted) {
    loader.positions.add(file.file, { names: file.names, imports: new Map() });
    const root = protobuf.Root.fromJSON(file.json);
    stampFilename(root, file.file);
    mergeNamespace(loader.root, root, loader.positions, diagnostics);
  }
  for (const glob of globs) {
    const files = expandGlob(glob.value, path.dirname(glob.pos.file));
    if (files.length === 0) {
      diagnostics.warn('MAESTRO_WARN_SCHEMA_GLOB', glob.pos, `protobuffers "${glob.value}" matches no file`);
    }
    for (const file of files) await loader.load(file, false, glob.pos);
  }
  const before = diagnostics.errors.length;
  checkTypes(loader.root, loader.positions, diagnostics);
  if (loader.root.deferred.length > 0) {
    for (const field of loader.root.deferred) {
      diagnostics.error(
        'MAESTRO_ERR_SCHEMA_TYPE',
        loader.positions.ofObject(field),
        `unknown type "${field.extend}" extended by "${field.fullName.slice(1)}"`,
      );
    }
  } else if (diagnostics.errors.length === before) {
    // Every type was found; resolveAll now links fields, oneofs and features.
    try {
      loader.root.resolveAll();
    } catch (error) {
      diagnostics.error(
        'MAESTRO_ERR_SCHEMA_TYPE',
        { file: loader.files[0] ?? '<schemas>', line: 0, column: 0 },
        (error as Error).message,
      );
    }
  }
  return buildRegistry(loader.root, loader.files, loader.positions);
}

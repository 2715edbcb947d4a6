/**
 * The entry point of `config/`: --config patterns → files → Spec.
 *
 *   pattern ─glob─▶ file ─read─▶ text ─$VAR─▶ text ─tree-sitter─▶ body ─build─▶ Spec
 *                    ▲                                               │
 *                    └──────────── include = [...] (relative) ◀──────┘
 *
 * Files are visited depth-first in the order written (a file, then what it includes),
 * each once, so include cycles and a file named both by a glob and an include are
 * harmless. Nothing here throws for a configuration problem: everything goes to the
 * diagnostics, positioned, so one run reports every error.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Diagnostics } from '../errors.js';
import type { Positioned, Spec } from '../spec/types.js';
import { expandEnv } from './env.js';
import { expandGlob } from './glob.js';
import { openHclParser, type HclDecoder } from './hcl.js';
import { SpecBuilder } from './spec.js';

export interface LoadOptions {
  /** Variables for `$NAME` expansion; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Directory the patterns are relative to; defaults to process.cwd(). */
  cwd?: string;
}

export interface LoadResult {
  spec: Spec;
  diagnostics: Diagnostics;
}

export async function loadConfig(patterns: string[], options: LoadOptions = {}): Promise<LoadResult> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const diagnostics = new Diagnostics();
  const builder = new SpecBuilder(diagnostics);
  // tree-sitter is loaded for this load and released after it (see openHclParser).
  const parser = await openHclParser();
  const loader = new Loader(parser.decode, builder, env, diagnostics);
  try {
    loadPatterns(patterns, cwd, loader, diagnostics);
  } finally {
    parser.close();
  }
  return { spec: builder.spec, diagnostics };
}

function loadPatterns(patterns: string[], cwd: string, loader: Loader, diagnostics: Diagnostics): void {
  if (patterns.length === 0) {
    diagnostics.error(
      'MAESTRO_ERR_CONFIG_FILE',
      { file: cwd, line: 0, column: 0 },
      'no configuration file given (--config)',
    );
  }
  for (const pattern of patterns) {
    const files = expandGlob(pattern, cwd);
    if (files.length === 0) {
      diagnostics.error(
        'MAESTRO_ERR_CONFIG_FILE',
        { file: resolve(cwd, pattern), line: 0, column: 0 },
        `no file matches "${pattern}"`,
      );
    }
    for (const file of files) loader.visit(file);
  }
}

class Loader {
  private readonly seen = new Set<string>();

  constructor(
    private readonly decode: HclDecoder,
    private readonly builder: SpecBuilder,
    private readonly env: Record<string, string | undefined>,
    private readonly diagnostics: Diagnostics,
  ) {}

  visit(file: string): void {
    if (this.seen.has(file)) return;
    this.seen.add(file);
    const raw = this.read(file);
    if (raw === undefined) return;
    const { text, expandedLines } = expandEnv(raw, this.env, file, this.diagnostics);
    const body = this.decode(text, file, this.diagnostics);
    const dir = dirname(file);
    const includes = this.builder.addFile(file, dir, body, expandedLines);
    for (const include of includes) this.include(include, dir, expandedLines);
  }

  private include(include: Positioned<string>, dir: string, expandedLines: Set<number>): void {
    const files = include.value ? expandGlob(include.value, dir) : [];
    if (files.length === 0) {
      const shown = expandedLines.has(include.pos.line) ? 'built from environment variables' : `"${include.value}"`;
      this.diagnostics.error('MAESTRO_ERR_CONFIG_INCLUDE', include.pos, `include ${shown} matches no file`);
    }
    for (const file of files) this.visit(file);
  }

  private read(file: string): string | undefined {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      this.diagnostics.error(
        'MAESTRO_ERR_CONFIG_FILE',
        { file, line: 0, column: 0 },
        `cannot read the file (${reason})`,
      );
      return undefined;
    }
  }
}

/**
 * One error family for the whole daemon. Every error has a stable `code`; configuration
 * and compile errors carry the position they are about, so a message can always start
 * with `file:line`.
 */
import type { Pos } from './spec/types.js';

export class MaestroError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One positioned problem found in a configuration (load or compile time). */
export interface Diagnostic {
  code: string;
  pos: Pos;
  message: string;
  severity: 'error' | 'warning';
}

export function formatPos(pos: Pos): string {
  return pos.line > 0 ? `${pos.file}:${pos.line}` : pos.file;
}

export function formatDiagnostic(d: Diagnostic): string {
  const prefix = d.severity === 'warning' ? 'warning: ' : '';
  return `${formatPos(d.pos)}: ${prefix}${d.message}`;
}

/** A configuration could not be loaded or compiled; `diagnostics` holds every error found. */
export class ConfigError extends MaestroError {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(
      'MAESTRO_ERR_CONFIG',
      diagnostics
        .filter((d) => d.severity === 'error')
        .map(formatDiagnostic)
        .join('\n'),
    );
  }
}

/** Collects diagnostics so that every error is reported at once, not only the first. */
export class Diagnostics {
  readonly items: Diagnostic[] = [];
  private readonly warned = new Set<string>();

  error(code: string, pos: Pos, message: string): void {
    this.items.push({ code, pos, message, severity: 'error' });
  }

  /** Adds a warning; the same warning at the same place is kept once (inherited blocks compile per use). */
  warn(code: string, pos: Pos, message: string): void {
    const key = `${code}\0${pos.file}\0${pos.line}\0${message}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.items.push({ code, pos, message, severity: 'warning' });
  }

  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'error');
  }

  get warnings(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'warning');
  }

  /** Throws a ConfigError when any error was collected. */
  throwIfErrors(): void {
    if (this.errors.length > 0) throw new ConfigError(this.items);
  }
}

/** "did you mean" hint: the closest candidate within a small edit distance, or ''. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  let best = '';
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? ` — did you mean "${best}"?` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/**
 * An upstream call failed at the transport level or answered something unusable.
 * `status` is what the flow reports: 502 refused/reset/undecodable, 504 timeout,
 * or the upstream's own 4xx/5xx.
 */
export class CallError extends MaestroError {
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions & { code?: string; body?: unknown },
  ) {
    super(options?.code ?? 'MAESTRO_ERR_CALL', message, options);
    this.body = options?.body;
  }

  /** The upstream's answer body, when there was one. */
  readonly body: unknown;
}

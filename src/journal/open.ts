/**
 * Picks and opens the journal: `--journal` wins over `journal { }`, which wins over the
 * default — SQLite at ./maestro-data/journal.db (relative to the working directory),
 * opened only when some flow has rollbacks, so other configurations write nothing.
 *
 *   --journal memory          rollbacks in memory only (lost with the process)
 *   --journal sqlite:PATH     SQLite file
 *   --journal postgres://…    PostgreSQL (schema and lease from journal { } or defaults)
 */
import { isAbsolute, resolve } from 'node:path';
import type { JournalPlan, Plan } from '../compile/plan.js';
import { DEFAULT_JOURNAL_PATH, DEFAULT_LEASE_MS } from '../compile/resilience.js';
import { MaestroError } from '../errors.js';
import type { Journal } from './journal.js';
import { PostgresJournal } from './postgres.js';
import { SqliteJournal } from './sqlite.js';

/** `--journal` text → plan; throws for a value it does not know. */
export function parseJournalFlag(flag: string, base: JournalPlan | undefined): JournalPlan {
  if (flag === 'memory') return { kind: 'memory' };
  if (flag.startsWith('sqlite:') && flag.length > 'sqlite:'.length)
    return { kind: 'sqlite', path: flag.slice('sqlite:'.length) };
  if (/^postgres(ql)?:\/\//.test(flag)) {
    const pg = base?.kind === 'postgres' ? base : undefined;
    return { kind: 'postgres', url: flag, schema: pg?.schema ?? 'maestro', leaseMs: pg?.leaseMs ?? DEFAULT_LEASE_MS };
  }
  throw new MaestroError(
    'MAESTRO_ERR_JOURNAL',
    `--journal must be memory, sqlite:PATH or a postgres:// URL, got "${flag.replace(/\/\/.*@/, '//…@')}"`,
  );
}

/** The journal plan in force, or undefined when nothing is journaled. */
export function journalPlan(plan: Plan, flag: string | undefined): JournalPlan | undefined {
  if (flag !== undefined) return parseJournalFlag(flag, plan.journal);
  if (plan.journal) return plan.journal;
  return plan.flows.some((f) => f.hasRollbacks) ? { kind: 'sqlite', path: DEFAULT_JOURNAL_PATH } : undefined;
}

/** Makes the journal (not yet connected); undefined for memory. */
export function createJournal(
  plan: JournalPlan | undefined,
  cwd: string,
  onPoolError?: (error: Error) => void,
  slot = 0,
): Journal | undefined {
  if (!plan || plan.kind === 'memory') return undefined;
  if (plan.kind === 'sqlite') {
    // A SQLite file is locked by one process: under --workers, worker slot k > 0 uses PATH-wk.
    const path = isAbsolute(plan.path) ? plan.path : resolve(cwd, plan.path);
    return new SqliteJournal(slot > 0 ? `${path}-w${slot}` : path);
  }
  return new PostgresJournal(plan.url, plan.schema, plan.leaseMs, onPoolError);
}

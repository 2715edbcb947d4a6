/**
 * `maestro journal migrate` and `maestro journal list`: the journal's schema and its open
 * records, outside the daemon. The journal is the one `--journal` names, else the one
 * `--config` files declare, else the default SQLite file. Nothing printed carries the
 * PostgreSQL URL (it may hold a password).
 */
import { loadPlan } from './load.js';
import { ConfigError } from '../errors.js';
import type { JournalPlan } from '../compile/plan.js';
import { DEFAULT_JOURNAL_PATH } from '../compile/resilience.js';
import type { OpenRecord } from '../journal/journal.js';
import { createJournal, parseJournalFlag } from '../journal/open.js';
import { PostgresJournal } from '../journal/postgres.js';
import { SqliteJournal } from '../journal/sqlite.js';

export interface JournalCommandOptions {
  config?: string[];
  journal?: string;
  /** PostgreSQL schema (overrides journal { schema }). */
  schema?: string;
  cwd?: string;
}

async function resolvePlan(options: JournalCommandOptions): Promise<JournalPlan> {
  let fromFiles: JournalPlan | undefined;
  if (options.config && options.config.length > 0) {
    const { plan, diagnostics } = await loadPlan({ config: options.config, cwd: options.cwd });
    if (!plan) throw new ConfigError(diagnostics.items);
    fromFiles = plan.journal;
  }
  let chosen =
    options.journal !== undefined
      ? parseJournalFlag(options.journal, fromFiles)
      : (fromFiles ?? { kind: 'sqlite', path: DEFAULT_JOURNAL_PATH });
  if (options.schema !== undefined) {
    if (chosen.kind !== 'postgres') throw new Error('--schema applies to a postgres journal');
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(options.schema))
      throw new Error(`--schema "${options.schema}" must be a plain SQL name`);
    chosen = { ...chosen, schema: options.schema };
  }
  if (chosen.kind === 'memory') throw new Error('a memory journal has nothing to migrate or list');
  return chosen;
}

/** Creates the schema (PostgreSQL) or the file (SQLite); returns what was done. */
export async function migrateJournal(options: JournalCommandOptions): Promise<string> {
  const plan = await resolvePlan(options);
  const journal = createJournal(plan, options.cwd ?? process.cwd());
  try {
    if (journal instanceof PostgresJournal) {
      await journal.migrate();
      return `journal: schema ${journal.schema} is ready`;
    }
    const sqlite = journal as SqliteJournal;
    const failure = sqlite.tryConnect();
    if (failure) throw failure;
    return `journal: ${sqlite.path} is ready`;
  } finally {
    await journal?.close();
  }
}

/** The open records, one line each (or JSON). */
export async function listJournal(options: JournalCommandOptions & { json?: boolean }): Promise<string> {
  const plan = await resolvePlan(options);
  const journal = createJournal(plan, options.cwd ?? process.cwd())!;
  try {
    const records = await journal.list();
    if (options.json) return JSON.stringify(records, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
    if (records.length === 0) return 'journal: no open records';
    return [`journal: ${records.length} open record(s)`, ...records.map(describe)].join('\n');
  } finally {
    await journal.close();
  }
}

function describe(r: OpenRecord): string {
  const lease = r.leaseUntil === undefined ? '' : ` lease until ${new Date(r.leaseUntil).toISOString()}`;
  const steps =
    r.steps
      .map((s) => s.resource)
      .reverse()
      .join(', ') || '(none)';
  return `${r.id}  flow ${r.flow}  request ${r.requestId}  since ${new Date(r.createdAt).toISOString()}  owner ${r.owner}${lease}  rollbacks pending: ${steps}`;
}

/**
 * The embedded journal: one SQLite file (better-sqlite3, synchronous, WAL). The file is
 * held with an exclusive lock for the life of the process, so a second daemon on the
 * same file is refused rather than racing the first; the lock dies with the process, so
 * after a crash the next start owns every record left open and runs their compensations.
 *
 * `synchronous = NORMAL` in WAL mode: a commit survives the process being killed (the
 * write is in the OS before the call returns); a power loss may lose the last commits
 * but never corrupts the file. Checkpoints (the only fsyncs) run every 10,000 pages.
 *
 * A record row is written with the run's first step, in the same transaction: `open`
 * only checks that the file is usable, so a run whose resources with rollbacks never
 * succeed writes nothing, and a chain of n such resources costs n + 1 commits.
 *
 * A file that cannot be opened does not stop the daemon: flows without rollbacks keep
 * serving, and each request of a flow with rollbacks fails with 503 naming the reason
 * (the open is tried again, at most once a second).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

// Loaded on first use: a configuration without rollbacks never loads the native addon.
let loaded: typeof Database | undefined;
const openDatabase = (path: string, options: Database.Options): Database.Database => {
  loaded ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return new loaded(path, options);
};
import {
  decodeValues,
  encodeValues,
  JournalError,
  type Journal,
  type OpenRecord,
  type RollbackValues,
} from './journal.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS journal_records (
  id TEXT PRIMARY KEY, flow TEXT NOT NULL, request_id TEXT NOT NULL, created_at INTEGER NOT NULL, owner TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_steps (
  record_id TEXT NOT NULL, seq INTEGER NOT NULL, resource TEXT NOT NULL, payload TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (record_id, seq)
);`;
const RETRY_OPEN_MS = 1_000;

interface RecordRow {
  id: string;
  flow: string;
  request_id: string;
  created_at: number;
  owner: string;
}
interface StepRow {
  seq: number;
  resource: string;
  payload: string;
}

type Statements = ReturnType<typeof prepare>;

function prepare(db: Database.Database) {
  return {
    open: db.prepare<[string, string, string, number, string]>(
      'INSERT INTO journal_records (id, flow, request_id, created_at, owner) VALUES (?, ?, ?, ?, ?)',
    ),
    step: db.prepare<[string, number, string, string]>(
      'INSERT OR REPLACE INTO journal_steps (record_id, seq, resource, payload) VALUES (?, ?, ?, ?)',
    ),
    done: db.prepare<[string, number]>('UPDATE journal_steps SET done = 1 WHERE record_id = ? AND seq = ?'),
    finishSteps: db.prepare<[string]>('DELETE FROM journal_steps WHERE record_id = ?'),
    finishRecord: db.prepare<[string]>('DELETE FROM journal_records WHERE id = ?'),
    records: db.prepare<[], RecordRow>(
      'SELECT id, flow, request_id, created_at, owner FROM journal_records ORDER BY created_at',
    ),
    steps: db.prepare<[string], StepRow>(
      'SELECT seq, resource, payload FROM journal_steps WHERE record_id = ? AND done = 0 ORDER BY seq',
    ),
    adopt: db.prepare<[string, string]>('UPDATE journal_records SET owner = ? WHERE owner <> ?'),
  };
}

export class SqliteJournal implements Journal {
  readonly kind = 'sqlite';
  readonly owner = randomUUID();
  pending = 0;
  private db: Database.Database | undefined;
  private statements: Statements | undefined;
  private failure: JournalError | undefined;
  private failedAt = 0;
  /** Runs opened by this process whose record row is not written yet (it goes with the first step). */
  private readonly runs = new Map<string, { flow: string; requestId: string; createdAt: number }>();

  constructor(readonly path: string) {}

  /** Opens the file now; resolves with the reason when it cannot (the daemon still starts). */
  tryConnect(): JournalError | undefined {
    try {
      this.connect();
      return undefined;
    } catch (error) {
      return error as JournalError;
    }
  }

  private connect(): Statements {
    if (this.statements) return this.statements;
    if (this.failure && Date.now() - this.failedAt < RETRY_OPEN_MS) throw this.failure;
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      db = openDatabase(this.path, { timeout: 0 });
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('wal_autocheckpoint = 10000');
      db.pragma('journal_size_limit = 67108864');
      db.exec(SCHEMA); // a write: takes the exclusive lock now
      this.statements = prepare(db);
      this.db = db;
      this.failure = undefined;
      return this.statements;
    } catch (error) {
      db?.close();
      const busy = (error as { code?: unknown }).code === 'SQLITE_BUSY';
      const reason = busy
        ? 'it is in use by another maestro process (one daemon per SQLite journal; use postgres to share one)'
        : (error as Error).message;
      this.failure = new JournalError(`the rollback journal ${this.path} cannot be opened: ${reason}`, {
        cause: error,
      });
      this.failedAt = Date.now();
      throw this.failure;
    }
  }

  private run<T>(what: string, fn: (s: Statements) => T): Promise<T> {
    try {
      return Promise.resolve(fn(this.connect()));
    } catch (error) {
      if (error instanceof JournalError) return Promise.reject(error);
      return Promise.reject(
        new JournalError(`the rollback journal ${this.path} cannot be written (${what}): ${(error as Error).message}`, {
          cause: error,
        }),
      );
    }
  }

  open(flow: string, requestId: string): Promise<string> {
    return this.run('open', () => {
      const id = randomUUID();
      this.runs.set(id, { flow, requestId, createdAt: Date.now() });
      this.pending++;
      return id;
    });
  }

  step(id: string, seq: number, resource: string, values: RollbackValues): Promise<void> {
    return this.run('step', (s) => {
      const run = this.runs.get(id);
      const payload = encodeValues(values);
      if (run) {
        this.db!.transaction(() => {
          s.open.run(id, run.flow, run.requestId, run.createdAt, this.owner);
          s.step.run(id, seq, resource, payload);
        })();
        this.runs.delete(id);
      } else {
        s.step.run(id, seq, resource, payload);
      }
    });
  }

  done(id: string, seq: number): Promise<void> {
    return this.run('done', (s) => void s.done.run(id, seq));
  }

  finish(id: string): Promise<void> {
    if (this.runs.delete(id)) {
      // Nothing was written for this run.
      this.pending = Math.max(0, this.pending - 1);
      return Promise.resolve();
    }
    return this.run('finish', (s) => {
      this.db!.transaction(() => {
        s.finishSteps.run(id);
        s.finishRecord.run(id);
      })();
      this.pending = Math.max(0, this.pending - 1);
    });
  }

  list(): Promise<OpenRecord[]> {
    return this.run('list', (s) => this.read(s));
  }

  claim(): Promise<OpenRecord[]> {
    return this.run('claim', (s) => {
      // The exclusive lock makes every record of another owner one of a process now gone.
      const adopted = s.adopt.run(this.owner, this.owner).changes;
      if (adopted === 0) return [];
      const records = this.read(s);
      this.pending += records.length;
      return records;
    });
  }

  private read(s: Statements): OpenRecord[] {
    return s.records.all().map((r) => ({
      id: r.id,
      flow: r.flow,
      requestId: r.request_id,
      createdAt: r.created_at,
      owner: r.owner,
      leaseUntil: undefined,
      steps: s.steps
        .all(r.id)
        .map((step) => ({ seq: step.seq, resource: step.resource, values: decodeValues(step.payload) })),
    }));
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    this.statements = undefined;
  }
}

/**
 * The shared journal: PostgreSQL (`pg`), for several instances. Each record carries its
 * owner and a lease the owner renews (every third of the lease); a record whose owner
 * stopped renewing — killed, partitioned — is claimed by another instance with
 * `FOR UPDATE SKIP LOCKED`, so exactly one instance takes it over and runs what is left
 * of its compensations. Times come from the database clock, never from the instances'.
 *
 *   A: open ─ step ─ (killed)                lease_until passes
 *   B: ……… claim: UPDATE … FROM (SELECT … WHERE lease_until < now() FOR UPDATE SKIP LOCKED)
 *      ─▶ rollbacks ─▶ finish
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type pg from 'pg';

// Loaded when a PostgreSQL journal is made: other configurations never load pg.
let loaded: typeof pg | undefined;
const pgModule = (): typeof pg => (loaded ??= createRequire(import.meta.url)('pg') as typeof pg);
import {
  decodeValues,
  encodeValues,
  JournalError,
  type Journal,
  type OpenRecord,
  type RollbackValues,
} from './journal.js';

const CONNECT_TIMEOUT_MS = 2_000;
const QUERY_TIMEOUT_MS = 5_000;
const CLAIM_BATCH = 100;

/** The DDL, idempotent; `schema` was checked to be a plain SQL name. */
export function schemaSql(schema: string): string {
  const s = `"${schema}"`;
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.journal_records (
  id uuid PRIMARY KEY, flow text NOT NULL, request_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(), owner text NOT NULL, lease_until timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_records_lease ON ${s}.journal_records (lease_until);
CREATE TABLE IF NOT EXISTS ${s}.journal_steps (
  record_id uuid NOT NULL REFERENCES ${s}.journal_records (id) ON DELETE CASCADE,
  seq integer NOT NULL, resource text NOT NULL, payload text NOT NULL, done boolean NOT NULL DEFAULT false,
  PRIMARY KEY (record_id, seq)
);`;
}

interface RecordRow {
  id: string;
  flow: string;
  request_id: string;
  created_at: Date;
  owner: string;
  lease_until: Date;
}
interface StepRow {
  record_id: string;
  seq: number;
  resource: string;
  payload: string;
}

export class PostgresJournal implements Journal {
  readonly kind = 'postgres';
  readonly owner = randomUUID();
  pending = 0;
  private readonly pool: pg.Pool;
  private readonly sql: Record<'open' | 'step' | 'done' | 'finish' | 'renew' | 'claim' | 'records' | 'steps', string>;
  private renewer: NodeJS.Timeout | undefined;
  private readonly lease: string;

  constructor(
    url: string,
    readonly schema: string,
    readonly leaseMs: number,
    onPoolError: (error: Error) => void = () => {},
  ) {
    this.pool = new (pgModule().Pool)({
      connectionString: url,
      max: 16,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    // An idle client losing its server emits here; without a listener the process would die.
    this.pool.on('error', onPoolError);
    this.lease = `${leaseMs} milliseconds`;
    const r = `"${schema}".journal_records`;
    const st = `"${schema}".journal_steps`;
    this.sql = {
      open: `INSERT INTO ${r} (id, flow, request_id, owner, lease_until) VALUES ($1, $2, $3, $4, now() + $5::interval)`,
      step: `INSERT INTO ${st} (record_id, seq, resource, payload) VALUES ($1, $2, $3, $4) ON CONFLICT (record_id, seq) DO UPDATE SET payload = excluded.payload`,
      done: `UPDATE ${st} SET done = true WHERE record_id = $1 AND seq = $2`,
      finish: `DELETE FROM ${r} WHERE id = $1`,
      renew: `UPDATE ${r} SET lease_until = now() + $2::interval WHERE owner = $1`,
      claim: `UPDATE ${r} AS r SET owner = $1, lease_until = now() + $2::interval
              FROM (SELECT id FROM ${r} WHERE lease_until < now() ORDER BY lease_until LIMIT ${CLAIM_BATCH} FOR UPDATE SKIP LOCKED) AS c
              WHERE r.id = c.id RETURNING r.id, r.flow, r.request_id, r.created_at, r.owner, r.lease_until`,
      records: `SELECT id, flow, request_id, created_at, owner, lease_until FROM ${r} ORDER BY created_at`,
      steps: `SELECT record_id, seq, resource, payload FROM ${st} WHERE record_id = ANY($1::uuid[]) AND done = false ORDER BY seq`,
    };
  }

  /** Creates the schema and tables (idempotent; serialized between instances by an advisory lock). */
  async migrate(): Promise<void> {
    const client = await this.connect('migrate');
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('maestro_journal_migrate'))");
      await client.query(schemaSql(this.schema));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.wrap('migrate', error);
    } finally {
      client.release();
    }
  }

  /**
   * Renews this owner's leases every third of the lease, until close(). `onError` hears
   * the first failure of a series (not every one while the database stays down);
   * `onRecovered` the first success after it.
   */
  startRenewing(onError: (error: JournalError) => void, onRecovered: () => void = () => {}): void {
    let failing = false;
    this.renewer = setInterval(
      () => {
        this.query('renew', this.sql.renew, [this.owner, this.lease]).then(
          () => {
            if (failing) onRecovered();
            failing = false;
          },
          (error: JournalError) => {
            if (!failing) onError(error);
            failing = true;
          },
        );
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    this.renewer.unref();
  }

  private async connect(what: string): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw this.wrap(what, error);
    }
  }

  private wrap(what: string, error: unknown): JournalError {
    if (error instanceof JournalError) return error;
    const e = error as { message?: string; code?: string };
    const reason = e.message || e.code || String(error);
    return new JournalError(
      `the rollback journal (postgres, schema ${this.schema}) cannot be written (${what}): ${reason}`,
      { cause: error },
    );
  }

  private async query<R extends pg.QueryResultRow>(
    what: string,
    text: string,
    params: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, params);
    } catch (error) {
      throw this.wrap(what, error);
    }
  }

  async open(flow: string, requestId: string): Promise<string> {
    const id = randomUUID();
    await this.query('open', this.sql.open, [id, flow, requestId, this.owner, this.lease]);
    this.pending++;
    return id;
  }

  async step(id: string, seq: number, resource: string, values: RollbackValues): Promise<void> {
    await this.query('step', this.sql.step, [id, seq, resource, encodeValues(values)]);
  }

  async done(id: string, seq: number): Promise<void> {
    await this.query('done', this.sql.done, [id, seq]);
  }

  async finish(id: string): Promise<void> {
    await this.query('finish', this.sql.finish, [id]);
    this.pending = Math.max(0, this.pending - 1);
  }

  async list(): Promise<OpenRecord[]> {
    return this.withSteps((await this.query<RecordRow>('list', this.sql.records, [])).rows);
  }

  async claim(): Promise<OpenRecord[]> {
    const claimed = await this.withSteps(
      (await this.query<RecordRow>('claim', this.sql.claim, [this.owner, this.lease])).rows,
    );
    this.pending += claimed.length;
    return claimed;
  }

  private async withSteps(rows: RecordRow[]): Promise<OpenRecord[]> {
    if (rows.length === 0) return [];
    const steps = (await this.query<StepRow>('steps', this.sql.steps, [rows.map((r) => r.id)])).rows;
    return rows.map((r) => ({
      id: r.id,
      flow: r.flow,
      requestId: r.request_id,
      createdAt: r.created_at.getTime(),
      owner: r.owner,
      leaseUntil: r.lease_until.getTime(),
      steps: steps
        .filter((s) => s.record_id === r.id)
        .map((s) => ({ seq: s.seq, resource: s.resource, values: decodeValues(s.payload) })),
    }));
  }

  async close(): Promise<void> {
    clearInterval(this.renewer);
    await this.pool.end();
  }
}

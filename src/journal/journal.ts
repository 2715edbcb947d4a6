/**
 * The rollback journal: where a flow with rollbacks records, before its answer is sent,
 * each succeeded resource's compensation with the values it references, so a compensation
 * survives the process. Only flows with rollbacks write.
 *
 *   run starts ──open──▶ record (flow, request id, owner)
 *   resource with a rollback succeeds ──step──▶ (seq = completion order, resource, values)
 *   flow succeeds ──finish──▶ record gone          (before the answer is sent)
 *   flow fails ──▶ rollbacks run ──done(seq)──▶ … ──finish──▶ record gone
 *   process dies ──▶ record stays open ──claim──▶ next start (or another instance) runs it
 *
 * Implementations: SQLite (one process per file) and PostgreSQL (shared; leases).
 * Every method may throw JournalError; a journal that cannot be written must fail the
 * request before any upstream is called.
 */
import { MaestroError } from '../errors.js';

/** What a rollback call sends, evaluated when its resource succeeded. */
export interface RollbackValues {
  body: Record<string, unknown> | undefined;
  params: Record<string, string>;
  headers: Record<string, string>;
}

export interface OpenStep {
  seq: number;
  resource: string;
  values: RollbackValues;
}

export interface OpenRecord {
  id: string;
  flow: string;
  requestId: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  owner: string;
  /** Lease end (PostgreSQL), ms since the epoch; undefined for SQLite. */
  leaseUntil: number | undefined;
  /** Steps whose rollback has not run yet, in completion order. */
  steps: OpenStep[];
}

export interface Journal {
  /** `sqlite` or `postgres`. */
  readonly kind: string;
  /** This instance's owner id. */
  readonly owner: string;
  /** Records this instance holds open (opened or claimed, not finished): the pending gauge. */
  readonly pending: number;
  /** Opens a record for one run of `flow`; resolves with its id. */
  open(flow: string, requestId: string): Promise<string>;
  /** Records a succeeded resource's rollback and the values it sends. */
  step(id: string, seq: number, resource: string, values: RollbackValues): Promise<void>;
  /** Marks a step's rollback as run. */
  done(id: string, seq: number): Promise<void>;
  /** Closes a record: the flow succeeded, or every compensation ran. */
  finish(id: string): Promise<void>;
  /** Every open record, whoever owns it (for `maestro journal list`). */
  list(): Promise<OpenRecord[]>;
  /**
   * Takes over the records no live instance holds (SQLite: all those of earlier
   * processes; PostgreSQL: those whose lease expired) and returns them.
   */
  claim(): Promise<OpenRecord[]>;
  /** Stops renewing, closes the connection; open records stay for the next owner. */
  close(): Promise<void>;
}

/** The journal could not be read or written. */
export class JournalError extends MaestroError {
  constructor(message: string, options?: ErrorOptions) {
    super('MAESTRO_ERR_JOURNAL', message, options);
  }
}

/** JSON that keeps int64 (bigint) and bytes exact: the values a rollback sends. */
export function encodeValues(values: RollbackValues): string {
  // `this[key]` is the value before toJSON (a Buffer's would hide that it is bytes).
  return JSON.stringify(values, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (typeof raw === 'bigint') return { $bigint: raw.toString() };
    if (raw instanceof Uint8Array)
      return { $bytes: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
    return value;
  });
}

export function decodeValues(text: string): RollbackValues {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const o = value as Record<string, unknown>;
      if (typeof o.$bigint === 'string' && Object.keys(o).length === 1) return BigInt(o.$bigint);
      if (typeof o.$bytes === 'string' && Object.keys(o).length === 1)
        return new Uint8Array(Buffer.from(o.$bytes, 'base64'));
    }
    return value;
  }) as RollbackValues;
}

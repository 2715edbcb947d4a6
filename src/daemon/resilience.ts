/**
 * The daemon's side of resilience: opens the rollback journal, runs the compensations
 * left open (at start; with PostgreSQL also every half lease, for instances that died),
 * exposes the pending and breaker gauges, and closes the journal last on shutdown —
 * after pending rollbacks ran, so what is still open stays open for the next start.
 */
import type { Logger } from 'pino';
import type { Plan } from '../compile/plan.js';
import type { RunnablePlan } from '../flow/bind.js';
import type { RollbackOptions } from '../flow/rollback.js';
import type { Journal } from '../journal/journal.js';
import { createJournal, journalPlan } from '../journal/open.js';
import { workerSlot } from './workers.js';
import { PostgresJournal } from '../journal/postgres.js';
import { Recovery } from '../journal/recovery.js';
import { SqliteJournal } from '../journal/sqlite.js';
import type { Breakers } from '../resilience/policies.js';
import type { Metrics } from './metrics.js';

export interface JournalRuntime {
  journal: Journal | undefined;
  /**
   * Runs the first recovery pass (in the background) with `runnable`'s flows and, with
   * PostgreSQL, the sweeper.
   */
  start(runnable: RunnablePlan, hooks: RollbackOptions): void;
  /** Later recovery passes use a reloaded configuration's flows (#13). */
  use(runnable: RunnablePlan, hooks: RollbackOptions): void;
  /** Stops sweeping, waits for the pass in progress, closes the journal. */
  close(): Promise<void>;
}

/**
 * Opens the journal `plan` (or the flag) asks for. It belongs to the process, not to one
 * configuration: a reload hands its new runs the same journal (#13).
 */
export async function openJournal(
  plan: Plan,
  flag: string | undefined,
  cwd: string,
  logger: Logger,
): Promise<JournalRuntime> {
  const chosen = journalPlan(plan, flag);
  const journal = createJournal(
    chosen,
    cwd,
    (error) => logger.warn({ err: error }, 'journal: a PostgreSQL connection failed'),
    workerSlot(),
  );
  if (!journal) return { journal, start() {}, use() {}, async close() {} };

  if (journal instanceof SqliteJournal) {
    const failure = journal.tryConnect();
    if (failure)
      logger.error({ err: failure }, `${failure.message}; flows with rollbacks answer 503 until it can be written`);
    else logger.info({ path: journal.path }, 'journal: SQLite');
  } else if (journal instanceof PostgresJournal) {
    try {
      await journal.migrate();
      logger.info({ schema: journal.schema, leaseMs: journal.leaseMs, owner: journal.owner }, 'journal: PostgreSQL');
    } catch (error) {
      logger.error(
        { err: error },
        `${(error as Error).message}; flows with rollbacks answer 503 until it can be written`,
      );
    }
    journal.startRenewing(
      (error) =>
        logger.error(
          { err: error },
          'journal: leases cannot be renewed; another instance may claim these records once they expire',
        ),
      () => logger.info('journal: leases renewed again'),
    );
  }

  let recovery: Recovery | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  return {
    journal,
    start(runnable, hooks) {
      const started = (recovery = new Recovery(journal, runnable, hooks));
      void started.sweep();
      if (journal instanceof PostgresJournal) {
        sweeper = setInterval(() => void started.sweep(), Math.max(50, Math.floor(journal.leaseMs / 2)));
        sweeper.unref();
      }
    },
    use(runnable, hooks) {
      recovery?.use(runnable, hooks);
    },
    async close() {
      clearInterval(sweeper);
      await recovery?.idle();
      await journal.close();
    },
  };
}

/** Adds the journal and breaker gauges to the metrics. */
export function resilienceGauges(metrics: Metrics, journal: Journal | undefined, breakers: Breakers): void {
  if (journal) metrics.journalPending.read(() => [[[['journal', journal.kind]], journal.pending]]);
  metrics.breakerState.read(() => breakers.states().map(([service, state]) => [[['service', service]], state]));
}

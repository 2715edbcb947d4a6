/**
 * Compensation: after a failure, the rollback of every node whose call succeeded runs,
 * one at a time, newest first. A failed rollback is logged with flow, resource and
 * request id, counted (so is a done one), and does not stop the others.
 *
 * With a journal, each rollback sends the values recorded when its resource succeeded,
 * and is marked done once it ran. A rollback that failed for good (a 4xx answer) is
 * marked done too (retrying cannot help); one that failed on a 5xx or a transport error
 * after its retries keeps the record open, so the next start (or, with PostgreSQL,
 * another instance once this one is gone) runs it again.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ExecContext, NodePlan, PreparedCall } from '../compile/plan.js';
import { CallError } from '../errors.js';
import type { Journal, RollbackValues } from '../journal/journal.js';
import type { BoundFlow } from './bind.js';
import { evaluateNamed } from './context.js';
import { rollbackContexts } from './for-each.js';

const ROLLBACK_TIMEOUT_MS = 30_000;

export interface RollbackOptions {
  logger: Logger;
  onRollbackDone?: (flow: string, resource: string) => void;
  onRollbackFailure?: (flow: string, resource: string) => void;
}

/** Where a run's rollbacks are journaled, and the values recorded per node index. */
export interface JournalRun {
  journal: Journal;
  id: string;
  values: Array<RollbackValues | undefined>;
}

/** The stem of this run's Idempotency-Keys, made on first use. */
export function runKey(ctx: ExecContext): string {
  return (ctx.runId ??= randomUUID());
}

/** What `node`'s rollback sends, evaluated now (every value it references is known). */
export function rollbackValues(node: NodePlan, ctx: ExecContext): RollbackValues {
  const rollback = node.rollback!;
  const headers = evaluateNamed(rollback.header, ctx);
  if (rollback.retry?.keyed) headers['idempotency-key'] = `${runKey(ctx)}:${node.name}:rollback`;
  return {
    body: rollback.body?.(ctx) as Record<string, unknown> | undefined,
    params: evaluateNamed(rollback.params, ctx),
    headers,
  };
}

export type RollbackOutcome = 'ok' | 'failed' | 'kept';

/**
 * Calls one rollback; never throws. `kept`: it failed in a way worth trying again later.
 * A done rollback is a debug line inside a request (#13), but an info line when `recovered`:
 * a compensation left open by a stopped process is worth seeing at the default level.
 */
export async function invokeRollback(
  invoke: PreparedCall,
  timeoutMs: number | undefined,
  values: RollbackValues,
  requestId: string,
  log: Record<string, unknown>,
  logger: Logger,
  recovered = false,
): Promise<RollbackOutcome> {
  try {
    const signal = AbortSignal.timeout(timeoutMs ?? ROLLBACK_TIMEOUT_MS);
    const result = await invoke(
      { body: values.body, params: values.params, headers: values.headers, requestId },
      signal,
    );
    if (result.status >= 200 && result.status < 300) {
      if (recovered) logger.info(log, 'rollback done');
      else logger.debug(log, 'rollback done');
      return 'ok';
    }
    logger.error({ ...log, status: result.status }, `rollback failed: answered ${result.status}`);
    return result.status >= 500 ? 'kept' : 'failed';
  } catch (error) {
    logger.error({ ...log, err: error }, 'rollback failed');
    return error instanceof CallError && error.status < 500 && error.status !== 499 ? 'failed' : 'kept';
  }
}

export async function runRollbacks(
  bound: BoundFlow,
  ctx: ExecContext,
  completed: readonly number[],
  options: RollbackOptions,
  journaled?: JournalRun,
): Promise<void> {
  const flow = bound.flow;
  let keep = false;
  for (let i = completed.length - 1; i >= 0; i--) {
    const node = flow.nodes[completed[i]!]!;
    const rollback = node.rollback;
    const invoke = bound.rollbacks[node.index];
    if (!rollback || !invoke) continue;
    const log = { flow: flow.name, resource: node.name, requestId: ctx.requestId };
    // A for_each resource: one rollback per succeeded element, each with its own item
    // (evaluated now; elements are not journaled one by one).
    const elements = node.forEach ? rollbackContexts(node, ctx) : undefined;
    const runs = elements
      ? elements.map((elementCtx) => () => rollbackValues(node, elementCtx))
      : [() => journaled?.values[node.index] ?? rollbackValues(node, ctx)];
    let nodeOutcome: RollbackOutcome = 'ok';
    for (const valuesOf of runs) {
      let outcome: RollbackOutcome;
      try {
        outcome = await invokeRollback(invoke, rollback.timeoutMs, valuesOf(), ctx.requestId, log, options.logger);
      } catch (error) {
        options.logger.error({ ...log, err: error }, 'rollback failed');
        outcome = 'failed';
      }
      if (outcome === 'ok') options.onRollbackDone?.(flow.name, node.name);
      else options.onRollbackFailure?.(flow.name, node.name);
      if (outcome !== 'ok' && nodeOutcome !== 'kept') nodeOutcome = outcome;
    }
    if (nodeOutcome === 'kept') keep = true;
    else if (journaled && journaled.values[node.index])
      await mark(() => journaled.journal.done(journaled.id, i), options.logger, log);
  }
  if (journaled && !keep)
    await mark(() => journaled.journal.finish(journaled.id), options.logger, {
      flow: flow.name,
      requestId: ctx.requestId,
    });
  if (journaled && keep)
    options.logger.error(
      { flow: flow.name, requestId: ctx.requestId, record: journaled.id },
      'rollbacks left open in the journal: they run again at the next start',
    );
}

async function mark(write: () => Promise<void>, logger: Logger, log: Record<string, unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    // The compensation ran; the journal only fails to know it. It may run again later.
    logger.error({ ...log, err: error }, 'journal could not record a rollback as done');
  }
}

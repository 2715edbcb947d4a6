/**
 * Compensation: after a failure, the rollback of every node whose call succeeded runs,
 * one at a time, newest first. A failed rollback is logged with flow, resource and
 * request id, counted (so is a done one), and does not stop the others.
 */
import type { Logger } from 'pino';
import type { ExecContext } from '../compile/plan.js';
import type { BoundFlow } from './bind.js';
import { evaluateNamed } from './context.js';
import { rollbackContexts } from './for-each.js';

const ROLLBACK_TIMEOUT_MS = 30_000;

export async function runRollbacks(
  bound: BoundFlow,
  requestCtx: ExecContext,
  completed: readonly number[],
  options: {
    logger: Logger;
    onRollbackDone?: (flow: string, resource: string) => void;
    onRollbackFailure?: (flow: string, resource: string) => void;
  },
): Promise<void> {
  const flow = bound.flow;
  for (let i = completed.length - 1; i >= 0; i--) {
    const node = flow.nodes[completed[i]!]!;
    const rollback = node.rollback;
    const invoke = bound.rollbacks[node.index];
    if (!rollback || !invoke) continue;
    const log = { flow: flow.name, resource: node.name, requestId: requestCtx.requestId };
    // One rollback per succeeded element of a for_each resource, each with its own item.
    for (const ctx of rollbackContexts(node, requestCtx)) try {
      const body = rollback.body?.(ctx) as Record<string, unknown> | undefined;
      const signal = AbortSignal.timeout(rollback.timeoutMs ?? ROLLBACK_TIMEOUT_MS);
      const result = await invoke(
        { body, params: evaluateNamed(rollback.params, ctx), headers: evaluateNamed(rollback.header, ctx), requestId: ctx.requestId },
        signal,
      );
      if (result.status < 200 || result.status >= 300) throw new Error(`rollback answered ${result.status}`);
      options.onRollbackDone?.(flow.name, node.name);
      options.logger.debug(log, 'rollback done');
    } catch (error) {
      options.onRollbackFailure?.(flow.name, node.name);
      options.logger.error({ ...log, err: error }, 'rollback failed');
    }
  }
}

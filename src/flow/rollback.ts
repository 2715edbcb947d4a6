/**
 * Compensation: after a failure, the rollback of every node whose call succeeded runs,
 * one at a time, newest first. A failed rollback is logged with flow, resource and
 * request id, counted (so is a done one), and does not stop the others.
 */
import type { Logger } from 'pino';
import type { ExecContext, FlowPlan } from '../compile/plan.js';
import { evaluateNamed } from './context.js';

const ROLLBACK_TIMEOUT_MS = 30_000;

export async function runRollbacks(
  flow: FlowPlan,
  ctx: ExecContext,
  completed: readonly number[],
  options: {
    logger: Logger;
    onRollbackDone?: (flow: string, resource: string) => void;
    onRollbackFailure?: (flow: string, resource: string) => void;
  },
): Promise<void> {
  for (let i = completed.length - 1; i >= 0; i--) {
    const node = flow.nodes[completed[i]!]!;
    const rollback = node.rollback;
    if (!rollback) continue;
    const log = { flow: flow.name, resource: node.name, requestId: ctx.requestId };
    try {
      if (!rollback.invoke) throw new Error(`service ${rollback.service.fullName} cannot be called`);
      const body = rollback.body?.(ctx) as Record<string, unknown> | undefined;
      const signal = AbortSignal.timeout(rollback.timeoutMs ?? ROLLBACK_TIMEOUT_MS);
      const result = await rollback.invoke(
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

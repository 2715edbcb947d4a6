/**
 * Runs the compensations a previous process (or, with PostgreSQL, a dead instance) left
 * open, with the plan this process serves: the flow and resource are found by name and
 * the rollback goes out with the values recorded when its resource succeeded, newest
 * first, through the rollback's retry policy (retries with jittered backoff). A record
 * whose flow or resource no longer exists is logged at error and kept open.
 */
import type { Logger } from 'pino';
import type { NodePlan } from '../compile/plan.js';
import type { BoundFlow, RunnablePlan } from '../flow/bind.js';
import { invokeRollback, type RollbackOptions } from '../flow/rollback.js';
import type { Journal, OpenRecord } from './journal.js';

export class Recovery {
  private flows = new Map<string, BoundFlow>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly journal: Journal,
    runnable: RunnablePlan,
    private options: RollbackOptions,
  ) {
    this.use(runnable, options);
  }

  /**
   * Later passes find flows in `runnable` (a reload's plan, #13); a record already being
   * run finishes with the flow it was found in.
   */
  use(runnable: RunnablePlan, options: RollbackOptions = this.options): void {
    const flows = new Map<string, BoundFlow>();
    for (const flow of runnable.plan.flows) {
      const bound = runnable.flows.get(flow);
      if (bound) flows.set(flow.name, bound);
    }
    this.flows = flows;
    this.options = options;
  }

  /** Claims what no live instance holds and runs it; one pass at a time. */
  sweep(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Resolves when the pass in progress, if any, is over (for shutdown). */
  async idle(): Promise<void> {
    await this.running;
  }

  private async pass(): Promise<void> {
    const { logger } = this.options;
    let records: OpenRecord[];
    try {
      records = await this.journal.claim();
    } catch (error) {
      logger.error({ err: error }, 'journal: open compensations could not be read');
      return;
    }
    if (records.length > 0)
      logger.warn(
        { records: records.length, journal: this.journal.kind },
        'journal: running compensations left open by a stopped process',
      );
    for (const record of records) await this.run(record, logger);
  }

  private async run(record: OpenRecord, logger: Logger): Promise<void> {
    const base = { record: record.id, flow: record.flow, requestId: record.requestId };
    const bound = this.flows.get(record.flow);
    const flow = bound?.flow;
    if (!bound || !flow) {
      logger.error(base, `journal: flow "${record.flow}" no longer exists; its open compensations are kept`);
      return;
    }
    let keep = false;
    for (let i = record.steps.length - 1; i >= 0; i--) {
      const step = record.steps[i]!;
      const node: NodePlan | undefined = flow.nodes.find((n) => n.name === step.resource && n.rollback);
      const invoke = node ? bound.rollbacks[node.index] : undefined;
      const log = { ...base, resource: step.resource, recovered: true };
      if (!node || !invoke) {
        logger.error(log, `journal: resource "${step.resource}" of flow "${flow.name}" has no rollback any more; kept`);
        keep = true;
        continue;
      }
      const outcome = await invokeRollback(
        invoke,
        node.rollback!.timeoutMs,
        step.values,
        record.requestId,
        log,
        logger,
        true,
      );
      if (outcome === 'ok') this.options.onRollbackDone?.(flow.name, node.name);
      else this.options.onRollbackFailure?.(flow.name, node.name);
      if (outcome === 'kept') {
        keep = true;
        continue;
      }
      try {
        await this.journal.done(record.id, step.seq);
      } catch (error) {
        logger.error({ ...log, err: error }, 'journal could not record a rollback as done');
        keep = true;
      }
    }
    if (keep) return;
    try {
      await this.journal.finish(record.id);
    } catch (error) {
      logger.error({ ...base, err: error }, 'journal record could not be closed');
    }
  }
}

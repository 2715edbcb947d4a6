/**
 * The resilience blocks, read as written (their values are checked by compile, where a
 * duration becomes milliseconds with its position):
 *
 *   retry   { attempts = 3  backoff = "100ms"  max_backoff = "2s"  idempotent = true }
 *   breaker { failures = 5  cool_down = "10s" }
 *   journal { path = "./maestro-data/journal.db" }   or   { postgres = "postgres://…"  schema  lease }
 *
 * `retry` sits in a service, a method, a resource or a request/rollback block; `breaker`
 * in a service; `journal` at the top level.
 */
import type { BreakerSpec, JournalSpec, Positioned, RetrySpec } from '../spec/types.js';
import type { HclAttribute, HclBlock } from './ast.js';
import { absolute, dispatch, firstOnly, inside, labels, stringValue, typeError, type BuildContext } from './read.js';

function integer(a: HclAttribute, where: string, ctx: BuildContext): Positioned<number> | undefined {
  if (typeof a.value !== 'number' || !Number.isInteger(a.value)) return typeError(a, 'a whole number', where, ctx);
  return { value: a.value, pos: a.valuePos };
}

export function buildRetry(block: HclBlock, where: string, ctx: BuildContext): RetrySpec {
  labels(block, [], 0, ctx);
  const spec: RetrySpec = { pos: block.pos };
  const within = inside('retry', where);
  dispatch(
    block.body,
    {
      attributes: {
        attempts: (a) => (spec.attempts = integer(a, within, ctx)),
        backoff: (a) => (spec.backoff = stringValue(a, within, ctx)),
        max_backoff: (a) => (spec.maxBackoff = stringValue(a, within, ctx)),
        idempotent: (a) => {
          if (typeof a.value === 'boolean') spec.idempotent = { value: a.value, pos: a.valuePos };
          else typeError(a, 'true or false', within, ctx);
        },
      },
    },
    within,
    ctx,
  );
  return spec;
}

export function buildBreaker(block: HclBlock, where: string, ctx: BuildContext): BreakerSpec {
  labels(block, [], 0, ctx);
  const spec: BreakerSpec = { pos: block.pos };
  const within = inside('breaker', where);
  dispatch(
    block.body,
    {
      attributes: {
        failures: (a) => (spec.failures = integer(a, within, ctx)),
        cool_down: (a) => (spec.coolDown = stringValue(a, within, ctx)),
      },
    },
    within,
    ctx,
  );
  return spec;
}

export function buildJournal(block: HclBlock, ctx: BuildContext): JournalSpec {
  labels(block, [], 0, ctx);
  const spec: JournalSpec = { pos: block.pos };
  const where = 'in journal';
  dispatch(
    block.body,
    {
      attributes: {
        path: (a) => {
          const path = stringValue(a, where, ctx);
          if (path) spec.path = { ...path, value: path.value && absolute(path.value, ctx) };
        },
        postgres: (a) => (spec.postgres = stringValue(a, where, ctx)),
        schema: (a) => (spec.schema = stringValue(a, where, ctx)),
        lease: (a) => (spec.lease = stringValue(a, where, ctx)),
      },
    },
    where,
    ctx,
  );
  return spec;
}

/** A block handler that keeps the first `retry` of a body and reports a second one. */
export function retryHandler(target: { retry?: RetrySpec }, where: string, ctx: BuildContext): (b: HclBlock) => void {
  return (b) => {
    if (firstOnly(target.retry, 'retry block', b.pos, where, ctx)) target.retry = buildRetry(b, where, ctx);
  };
}

/**
 * Runs a `for_each` resource: one call per element of its list, at most
 * `max_concurrency` in flight, the answers kept in input order as the resource's value.
 *
 *   items: [a, b, c, d, e]   max_concurrency = 2
 *   workers:  a ── c ── e        each worker takes the next element when its call ends
 *             b ── d
 *   lines  = [answer(a), answer(b), …]
 *
 * Each call sees its element as `item:` through a per-element context (a shallow copy
 * whose `elements` holds the item), so calls in flight never share mutable state. On the
 * first failure no further element starts; calls in flight are awaited, then the failure
 * is thrown. The elements whose call succeeded are remembered for the rollbacks, which
 * run one per element, newest first, each with its own `item`.
 */
import type { CallResult, ExecContext, NodePlan, PreparedCall } from '../compile/plan.js';
import { CallError } from '../errors.js';
import { evaluateNamed } from './context.js';

/** The most elements one for_each list may hold: every input is bounded. */
export const MAX_FOR_EACH_ITEMS = 10_000;

interface Succeeded {
  item: unknown;
  answer: unknown;
}

/** Per request, per node index: the elements whose call succeeded, in completion order. */
const succeededByContext = new WeakMap<ExecContext, Map<number, Succeeded[]>>();

/**
 * Calls the resource once per element. Resolves when all succeeded; rejects with the
 * first failure after the calls in flight have ended. `onSucceeded` is called once when
 * at least one element succeeded (the node then has rollbacks to run). `flowFailed`
 * tells whether another resource has failed the flow meanwhile.
 */
export async function runForEach(
  node: NodePlan,
  invoke: PreparedCall,
  ctx: ExecContext,
  signal: AbortSignal,
  onSucceeded: () => void,
  flowFailed: () => boolean = () => false,
): Promise<void> {
  const call = node.call!;
  const forEach = node.forEach!;
  const value = forEach.list(ctx);
  const items = value === undefined || value === null ? [] : value;
  if (!Array.isArray(items)) throw new CallError(`for_each of resource "${node.name}" is not a list`, 400);
  if (items.length > MAX_FOR_EACH_ITEMS)
    throw new CallError(
      `for_each of resource "${node.name}" has ${items.length} elements; at most ${MAX_FOR_EACH_ITEMS} are allowed`,
      400,
    );

  const answers = new Array<unknown>(items.length);
  const requests = new Array<unknown>(items.length);
  ctx.responses[node.index] = answers;
  ctx.requests[node.index] = requests;
  const succeeded: Succeeded[] = [];
  let failure: unknown;
  let next = 0;

  const worker = async (): Promise<void> => {
    // Another resource of the flow failing stops new elements too, as it stops new resources.
    while (failure === undefined && !flowFailed() && next < items.length) {
      const i = next++;
      const item: unknown = items[i];
      const elementCtx: ExecContext = { ...ctx, elements: [item] };
      try {
        const body = call.body?.(elementCtx) as Record<string, unknown> | undefined;
        requests[i] = body;
        const result = await invoke(
          {
            body,
            params: evaluateNamed(call.params, elementCtx),
            headers: evaluateNamed(call.header, elementCtx),
            requestId: ctx.requestId,
          },
          signal,
        );
        checkStatus(node, result, ctx);
        answers[i] = result.body;
        succeeded.push({ item, answer: result.body });
      } catch (error) {
        failure ??= error;
      }
    }
  };
  const workers = Math.min(forEach.maxConcurrency, items.length);
  await Promise.all(Array.from({ length: workers }, worker));

  if (succeeded.length > 0) {
    let byNode = succeededByContext.get(ctx);
    if (!byNode) succeededByContext.set(ctx, (byNode = new Map()));
    byNode.set(node.index, succeeded);
    onSucceeded();
  }
  if (failure !== undefined) throw failure;
}

function checkStatus(node: NodePlan, result: CallResult, ctx: ExecContext): void {
  const expected = node.expectStatus
    ? node.expectStatus.has(result.status)
    : result.status >= 200 && result.status < 300;
  if (expected) return;
  ctx.upstreamErrors[node.index] = result.body;
  ctx.responseHeaders[node.index] = result.headers;
  const call = node.call!;
  const body = result.body;
  const message =
    body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : `${call.service.fullName}.${call.method.name} answered ${result.status}`;
  throw new CallError(message, result.status >= 400 ? result.status : 502, { body });
}

/**
 * The contexts a node's rollback runs with: the request's own for an ordinary node; for
 * a for_each node one per element whose call succeeded, newest first, where `item:` is
 * that element and the resource itself reads as that element's answer.
 */
export function rollbackContexts(node: NodePlan, ctx: ExecContext): ExecContext[] {
  if (!node.forEach) return [ctx];
  const succeeded = succeededByContext.get(ctx)?.get(node.index) ?? [];
  const out: ExecContext[] = [];
  for (let i = succeeded.length - 1; i >= 0; i--) {
    const { item, answer } = succeeded[i]!;
    const responses = ctx.responses.slice();
    responses[node.index] = answer;
    out.push({ ...ctx, responses, elements: [item] });
  }
  return out;
}

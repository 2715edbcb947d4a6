/**
 * Turns a failure into the answer: the nearest on_error may override status and message,
 * the nearest error object shapes the body, else `{"status": N, "message": "…"}`.
 */
import type { Logger } from 'pino';
import type { ErrorHandling, ExecContext, FlowPlan, NodePlan } from '../compile/plan.js';
import type { FlowFailure } from './types.js';

export interface Failure {
  /** The node that failed; undefined for failures of the flow itself (bad input, output). */
  node: NodePlan | undefined;
  status: number;
  message: string;
  cause?: unknown;
}

export function buildErrorResponse(
  failure: Failure,
  ctx: ExecContext,
  logger: Logger,
  flow: FlowPlan,
  requestId: string,
  handling: ErrorHandling = failure.node?.errors ?? flow.errors,
): FlowFailure {
  let status = failure.status;
  let message = failure.message;
  let body: unknown;
  try {
    const onError = handling.onError;
    if (onError) {
      ctx.error = { status, message };
      const params: Record<string, unknown> = {};
      for (const [name, get] of onError.params) params[name] = get(ctx);
      ctx.errorParams = params;
      const overridden = toStatus(onError.status?.(ctx));
      if (overridden !== undefined) status = overridden;
      const text = onError.message?.(ctx);
      if (text !== undefined && text !== null && text !== '') message = String(text);
    }
    ctx.error = { status, message };
    body = handling.errorObject ? handling.errorObject.body(ctx) : { status, message };
  } catch (error) {
    logger.error({ flow: flow.name, requestId, err: error }, 'building the error object failed');
    body = { status, message };
  }
  // A client that went away (499) is routine; a stack trace only helps for server-side failures.
  const level = status >= 500 ? 'error' : status === 499 ? 'info' : 'warn';
  // Checked first: below the active level the line's object would be built for nothing.
  if (logger.isLevelEnabled(level)) {
    const fields = { flow: flow.name, resource: failure.node?.name, requestId, status };
    logger[level](status >= 500 ? { ...fields, err: failure.cause } : fields, failure.message);
  }
  return { ok: false, status, message, body, header: {} };
}

function toStatus(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'bigint' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

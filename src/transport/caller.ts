/**
 * A caller binds a compiled call to one transport (http, grpc, graphql). The daemon keeps
 * one caller per transport and hands them to `bind(plan, callers)` (flow/bind.ts), which
 * asks each to prepare its CallPlans once, at start; the executor then only invokes the
 * prepared functions. A Caller is a flow/bind.ts `CallBinder` that can also be closed.
 */
import type { CallPlan, PreparedCall } from '../compile/plan.js';

export interface Caller {
  /**
   * Does all per-call string and lookup work once (paths, base URLs, methods, pools) and
   * returns the function the executor invokes per request. Throws nothing at call time
   * except CallError (502 refused/reset/undecodable, 504 timeout, 499 aborted).
   */
  prepare(call: CallPlan): PreparedCall;
  /** Closes pooled connections; calls in flight are allowed to finish first. */
  close(): Promise<void>;
}

/**
 * Binding: a compiled plan is frozen and knows no transport; `bind(plan, transports)`
 * prepares every call and rollback of every flow once, on its transport, and returns the
 * runnable plan the executor serves. The plan itself is never written to, so two plans —
 * the one serving and a reloaded one — can each be bound and run side by side.
 *
 *   Plan (frozen) ──bind(plan, {http, grpc})──▶ RunnablePlan ──▶ Executor
 *
 * A call whose transport has no caller is bound to a function that answers 501, so the
 * executor never meets an unbound call.
 */
import type { CallPlan, FlowPlan, Plan, PreparedCall } from '../compile/plan.js';
import { CallError } from '../errors.js';

/** What binding needs of a transport: the transport's `Caller` satisfies it. */
export interface CallBinder {
  /** Does all per-call work once and returns the function invoked per request. */
  prepare(call: CallPlan): PreparedCall;
}

/** Callers by transport name (`http`, `grpc`). */
export type Transports = ReadonlyMap<string, CallBinder>;

export interface BindOptions {
  /** Wraps every call prepared by a transport (metrics); called once per call at bind time. */
  wrap?: (call: CallPlan, invoke: PreparedCall) => PreparedCall;
}

/** One flow's prepared calls, indexed like its nodes. */
export interface BoundFlow {
  readonly flow: FlowPlan;
  /** `calls[i]` invokes node i's request (undefined for a node without one). */
  readonly calls: readonly (PreparedCall | undefined)[];
  /** `rollbacks[i]` invokes node i's rollback. */
  readonly rollbacks: readonly (PreparedCall | undefined)[];
}

export interface RunnablePlan {
  readonly plan: Plan;
  /** Every flow of the plan, by the flow object endpoints hold. */
  readonly flows: ReadonlyMap<FlowPlan, BoundFlow>;
  /** `service (transport)` of every service whose transport has no caller. */
  readonly unsupported: readonly string[];
}

export function bind(plan: Plan, transports: Transports, options: BindOptions = {}): RunnablePlan {
  const unsupported = new Set<string>();
  const prepare = (call: CallPlan | undefined): PreparedCall | undefined => {
    if (!call) return undefined;
    const binder = transports.get(call.service.transport);
    if (binder) {
      const invoke = binder.prepare(call);
      return options.wrap ? options.wrap(call, invoke) : invoke;
    }
    // Never sent anywhere, so not wrapped (metrics count upstream calls only).
    unsupported.add(`${call.service.fullName} (${call.service.transport})`);
    const error = new CallError(`service ${call.service.fullName} (transport ${call.service.transport}) cannot be called yet`, 501);
    return () => Promise.reject(error);
  };
  const flows = new Map<FlowPlan, BoundFlow>();
  for (const flow of plan.flows) {
    flows.set(flow, Object.freeze({
      flow,
      calls: Object.freeze(flow.nodes.map((node) => prepare(node.call))),
      rollbacks: Object.freeze(flow.nodes.map((node) => prepare(node.rollback))),
    }));
  }
  return Object.freeze({ plan, flows, unsupported: Object.freeze([...unsupported]) });
}

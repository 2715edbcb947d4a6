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
import type { CallPlan, FlowPlan, NodePlan, Plan, PreparedCall, PreparedStream } from '../compile/plan.js';
import { CallError } from '../errors.js';

/** What binding needs of a transport: the transport's `Caller` satisfies it. */
export interface CallBinder {
  /** Does all per-call work once and returns the function invoked per request. */
  prepare(call: CallPlan): PreparedCall;
}

/** Callers by transport name (`http`, `grpc`). */
export type Transports = ReadonlyMap<string, CallBinder>;

/** Where a call sits: its flow, its node, and whether it is the node's request or rollback. */
export interface CallSite {
  readonly flow: FlowPlan;
  readonly node: NodePlan;
  readonly role: 'call' | 'rollback';
}

/** What binding needs of a streaming transport (gRPC server-streaming calls). */
export interface StreamBinder {
  prepare(call: CallPlan): PreparedStream;
}

export interface BindOptions {
  /**
   * Wraps every call prepared by a transport (metrics, limits, caches, figures); called
   * once per call at bind time, innermost first when several wrappers are given.
   */
  wrap?: ReadonlyArray<(call: CallPlan, invoke: PreparedCall, site: CallSite) => PreparedCall>;
  /** Opens server-streaming calls of stream flows. */
  streams?: StreamBinder;
}

/** One flow's prepared calls, indexed like its nodes. */
export interface BoundFlow {
  readonly flow: FlowPlan;
  /** `calls[i]` invokes node i's request (undefined for a node without one). */
  readonly calls: readonly (PreparedCall | undefined)[];
  /** `rollbacks[i]` invokes node i's rollback. */
  readonly rollbacks: readonly (PreparedCall | undefined)[];
  /** Opens the stream of a stream flow's streaming node (see flow/stream.ts). */
  readonly stream: PreparedStream | undefined;
}

export interface RunnablePlan {
  readonly plan: Plan;
  /** Every flow of the plan, by the flow object endpoints hold. */
  readonly flows: ReadonlyMap<FlowPlan, BoundFlow>;
  /** `service (transport)` of every service whose transport has no caller. */
  readonly unsupported: readonly string[];
}

/** The stream opener bound for each stream flow (flow/stream.ts reads it), by plan object. */
const streamOpeners = new WeakMap<FlowPlan, PreparedStream>();

/** The bound opener of a stream flow's streaming call, once some plan holding it was bound. */
export function streamOpener(flow: FlowPlan): PreparedStream | undefined {
  return streamOpeners.get(flow);
}

export function bind(plan: Plan, transports: Transports, options: BindOptions = {}): RunnablePlan {
  const unsupported = new Set<string>();
  const prepare = (call: CallPlan | undefined, site: CallSite): PreparedCall | undefined => {
    if (!call) return undefined;
    const binder = transports.get(call.service.transport);
    if (binder) {
      let invoke = binder.prepare(call);
      for (const wrap of options.wrap ?? []) invoke = wrap(call, invoke, site);
      return invoke;
    }
    // Never sent anywhere, so not wrapped (metrics count upstream calls only).
    unsupported.add(`${call.service.fullName} (${call.service.transport})`);
    const error = new CallError(
      `service ${call.service.fullName} (transport ${call.service.transport}) cannot be called yet`,
      501,
    );
    return () => Promise.reject(error);
  };
  const flows = new Map<FlowPlan, BoundFlow>();
  const bindFlow = (flow: FlowPlan, stream: PreparedStream | undefined): BoundFlow => {
    const bound: BoundFlow = Object.freeze({
      flow,
      calls: Object.freeze(flow.nodes.map((node) => prepare(node.call, { flow, node, role: 'call' }))),
      rollbacks: Object.freeze(flow.nodes.map((node) => prepare(node.rollback, { flow, node, role: 'rollback' }))),
      stream,
    });
    flows.set(flow, bound);
    return bound;
  };
  for (const flow of plan.flows) {
    const streamCall = flow.stream ? flow.nodes[flow.stream.node]?.call : undefined;
    const stream = streamCall && options.streams ? options.streams.prepare(streamCall) : undefined;
    bindFlow(flow, stream);
    // A stream flow runs its prelude (the other resources) through the executor first.
    if (flow.stream) bindFlow(flow.stream.prelude, undefined);
    if (stream) streamOpeners.set(flow, stream);
  }
  return Object.freeze({ plan, flows, unsupported: Object.freeze([...unsupported]) });
}

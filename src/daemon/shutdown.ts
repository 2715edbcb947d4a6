/**
 * Bounded shutdown (issue #8). SIGTERM must never wait for a hung upstream: an
 * orchestrator's SIGKILL follows, and the rollbacks still pending would be lost.
 *
 *   SIGTERM ─▶ listeners stop accepting ─▶ in-flight flows finish ……… up to the grace period (30 s)
 *           ─▶ grace over: their calls are aborted, they answer 503, their rollbacks are scheduled
 *           ─▶ pending rollbacks run ……………………………………………… up to the rollback bound (10 s)
 *           ─▶ bound over: rollback calls still running are aborted (logged as failed)
 *           ─▶ "maestro stopped", naming every flow and rollback that was cut short
 *
 * Flows are counted by wrapping the FlowRunner every listener uses (a Map entry per run, no
 * controller): one process-wide FlowStop (flow/stop.ts), which the executors and the HTTP
 * listener share, aborts the calls of every run when the grace period ends. Rollback calls
 * are wrapped at bind time (`wrapCall`, a bind wrapper): the plan stays frozen.
 */
import type { Logger } from 'pino';
import type { CallPlan, FlowPlan, PreparedCall } from '../compile/plan.js';
import { CallError } from '../errors.js';
import type { CallSite } from '../flow/bind.js';
import { FlowStop } from '../flow/stop.js';
import type { FlowRequest, FlowResult } from '../flow/types.js';
import type { FlowRunner } from '../transport/listener.js';

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;
export const DEFAULT_ROLLBACK_TIMEOUT_MS = 10_000;

interface RunningRollback {
  flow: string;
  resource: string;
  requestId: string;
}

export interface CutShort {
  flows: Array<{ flow: string; requestId: string }>;
  rollbacks: Array<{ flow: string; resource: string; requestId: string }>;
}

export class Shutdown {
  /** Runs in flight, by their request object. */
  private readonly flows = new Map<FlowRequest, FlowPlan>();
  /** The runs in flight when the grace period ended. */
  private cut: Set<FlowRequest> | undefined;
  private readonly rollbacks = new Set<RunningRollback>();
  private readonly rollbackAbort = new AbortController();
  private idle: (() => void) | undefined;
  readonly cutShort: CutShort = { flows: [], rollbacks: [] };
  /** Given to every executor and HTTP listener: aborts the calls of every run in flight. */
  readonly stop = new FlowStop();

  constructor(private readonly logger: Logger) {}

  /** A FlowRunner whose runs are counted, and answered 503 when the grace period cut them. */
  track(runner: FlowRunner): FlowRunner {
    return {
      run: async (flow: FlowPlan, request: FlowRequest): Promise<FlowResult> => {
        this.flows.set(request, flow);
        try {
          const result = await runner.run(flow, request);
          // Aborted by the stop: a client still there gets a 503 (one already gone gets nothing either way).
          if (!result.ok && this.cut?.has(request)) {
            return runner.reject(
              flow,
              request,
              503,
              `maestro is shutting down: flow "${flow.name}" was cut short after the grace period`,
            );
          }
          return result;
        } finally {
          this.flows.delete(request);
          if (this.flows.size === 0) this.idle?.();
        }
      },
      reject: (flow, request, status, message) => runner.reject(flow, request, status, message),
    };
  }

  /** A bind wrapper (flow/bind.ts): rollback calls are tracked, requests pass unchanged. */
  readonly wrapCall = (_call: CallPlan, invoke: PreparedCall, site: CallSite): PreparedCall =>
    site.role === 'rollback' ? this.trackRollback(site.flow.name, site.node.name, invoke) : invoke;

  /** A rollback call that is aborted, and reported, when the rollback bound ends. */
  trackRollback(flow: string, resource: string, invoke: PreparedCall): PreparedCall {
    return async (call, signal) => {
      const abort = this.rollbackAbort.signal;
      if (abort.aborted)
        throw new CallError(`rollback ${flow}/${resource} not run: the shutdown rollback bound ended`, 503);
      const entry: RunningRollback = { flow, resource, requestId: call.requestId };
      this.rollbacks.add(entry);
      const merged = AbortSignal.any([signal, abort]);
      try {
        return await invoke(call, merged);
      } finally {
        this.rollbacks.delete(entry);
      }
    };
  }

  /** Resolves true when `listeners` closed and no flow runs, false when `ms` passed first. */
  async waitForFlows(listeners: Promise<unknown>, ms: number): Promise<boolean> {
    const flowsDone = new Promise<void>((resolve) => {
      if (this.flows.size === 0) resolve();
      else this.idle = resolve;
    });
    return bounded(
      Promise.all([listeners, flowsDone]).then(() => true),
      ms,
      false,
    );
  }

  /** Aborts every flow still running; resolves once they have answered (at most `ms`). */
  async abortFlows(graceMs: number, ms = 1_000): Promise<void> {
    if (this.flows.size === 0) return;
    const done = new Promise<void>((resolve) => (this.idle = resolve));
    this.cut = new Set(this.flows.keys());
    for (const [request, flow] of this.flows) {
      this.cutShort.flows.push({ flow: flow.name, requestId: request.requestId });
    }
    this.logger.warn(
      { cutShort: this.cutShort.flows, graceMs },
      `shutdown grace period of ${graceMs} ms ended: aborting ${this.flows.size} in-flight flow(s): ${describeFlows(this.cutShort.flows)}`,
    );
    this.stop.stop();
    await bounded(done, ms, undefined);
  }

  /** Waits for `drain` up to `ms`, then aborts the rollback calls still running. */
  async boundRollbacks(drain: () => Promise<void>, ms: number): Promise<void> {
    if (
      await bounded(
        drain().then(() => true),
        ms,
        false,
      )
    )
      return;
    for (const entry of this.rollbacks) this.cutShort.rollbacks.push({ ...entry });
    this.logger.error(
      { cutShort: this.cutShort.rollbacks, rollbackTimeoutMs: ms },
      `shutdown rollback bound of ${ms} ms ended: aborting ${this.rollbacks.size} rollback call(s) still running; rollbacks not yet started are not run`,
    );
    this.rollbackAbort.abort();
    await bounded(drain(), 1_000, undefined);
  }

  /** The closing line's summary: empty when nothing was cut short. */
  summary(): string {
    const { flows, rollbacks } = this.cutShort;
    if (flows.length === 0 && rollbacks.length === 0) return 'maestro stopped';
    const parts: string[] = [];
    if (flows.length > 0) parts.push(`${flows.length} flow(s) cut short (${describeFlows(flows)})`);
    if (rollbacks.length > 0)
      parts.push(
        `${rollbacks.length} rollback(s) cut short (${rollbacks.map((r) => `${r.flow}/${r.resource} request ${r.requestId}`).join(', ')})`,
      );
    return `maestro stopped: ${parts.join('; ')}`;
  }
}

function describeFlows(flows: CutShort['flows']): string {
  return flows.map((f) => `${f.flow} request ${f.requestId}`).join(', ');
}

/** `promise`'s value, or `fallback` once `ms` passed. */
function bounded<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Per-resource figures for the /flows page: calls, errors and the median duration of
 * the latest calls of every resource of every flow. The Prometheus series are per
 * service and method (several resources may share one); the page wants them per
 * resource, so each resource's prepared call is wrapped once at start:
 *
 *   node.call.invoke = timed(node.call.invoke)     calls++, errors++ on failure,
 *                                                  duration into a ring of the last 512
 *
 * A call is an error when it throws or answers a status the resource does not expect
 * (expect_status, else any 2xx), as the executor decides. Nothing here allocates per call.
 */
import type { CallPlan, NodePlan, Plan, PreparedCall } from '../compile/plan.js';
import type { CallSite } from '../flow/bind.js';
import { observeCall } from '../flow/observe-call.js';

/** Durations kept per resource for the median. */
const WINDOW = 512;

export interface ResourceFigures {
  name: string;
  calls: number;
  errors: number;
  /** Median of the latest calls, in milliseconds; null before the first call. */
  p50Ms: number | null;
}

export interface FlowFigures {
  name: string;
  resources: ResourceFigures[];
}

class ResourceStats {
  calls = 0;
  errors = 0;
  private readonly durations = new Float64Array(WINDOW);
  private next = 0;

  constructor(readonly name: string) {}

  record(ms: number, failed: boolean): void {
    this.calls++;
    if (failed) this.errors++;
    this.durations[this.next] = ms;
    this.next = (this.next + 1) % WINDOW;
  }

  figures(): ResourceFigures {
    const n = Math.min(this.calls, WINDOW);
    if (n === 0) return { name: this.name, calls: 0, errors: 0, p50Ms: null };
    const sorted = this.durations.slice(0, n).sort();
    const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
    return { name: this.name, calls: this.calls, errors: this.errors, p50Ms: Math.round(median * 10) / 10 };
  }
}

export class FlowStats {
  private readonly flows: Array<{ name: string; resources: ResourceStats[] }> = [];
  private readonly byNode = new Map<NodePlan, ResourceStats>();

  /** Makes a figures slot for every resource of the plan; `wrapCall` then feeds them. */
  instrument(plan: Plan): void {
    for (const flow of plan.flows) {
      const resources = flow.nodes.map((node) => {
        const stats = new ResourceStats(node.name);
        this.byNode.set(node, stats);
        return stats;
      });
      this.flows.push({ name: flow.name, resources });
    }
  }

  /** A bind wrapper: times a resource's call into its figures (rollbacks are not counted). */
  readonly wrapCall = (_call: CallPlan, invoke: PreparedCall, site: CallSite): PreparedCall => {
    const stats = this.byNode.get(site.node);
    return stats && site.role === 'call' ? this.timed(site.node, invoke, stats) : invoke;
  };

  figures(): FlowFigures[] {
    return this.flows.map((f) => ({ name: f.name, resources: f.resources.map((r) => r.figures()) }));
  }

  private timed(node: NodePlan, invoke: PreparedCall, stats: ResourceStats): PreparedCall {
    const expected = node.expectStatus;
    // An observer (flow/observe-call.ts): shares the metrics' wrapper when nothing sits between.
    return observeCall(invoke, (ms, _out, result) => {
      const failed = !result || (expected ? !expected.has(result.status) : result.status < 200 || result.status >= 300);
      stats.record(ms, failed);
    });
  }
}

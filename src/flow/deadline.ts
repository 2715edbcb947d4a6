/**
 * The deadline of one run: the flow's `timeout` (or the global `flow_timeout`), bounded
 * further by the caller's own deadline — a gRPC deadline, or a `grpc-timeout` header
 * (`5S`, `250m`, … as gRPC writes it) on any protocol. An expired deadline fails the
 * run with 504: calls in flight are aborted and the rollbacks of what succeeded run.
 */
import type { FlowPlan } from '../compile/plan.js';
import type { FlowRequest } from './types.js';

const GRPC_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };
// Answer a moment before the caller's own deadline, so it gets our 504 rather than its own timeout.
const CALLER_MARGIN_MS = 50;

/** `grpc-timeout` value → milliseconds, or undefined when malformed. */
export function parseGrpcTimeout(value: string): number | undefined {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  return match ? Number(match[1]) * GRPC_UNITS[match[2]!]! : undefined;
}

/** Milliseconds this run may take, or undefined for no deadline. */
export function runDeadline(flow: FlowPlan, request: FlowRequest): number | undefined {
  let ms = flow.timeoutMs;
  let caller: number | undefined;
  if (request.deadline !== undefined) caller = request.deadline - Date.now();
  const header = request.header['grpc-timeout'];
  if (typeof header === 'string') {
    const parsed = parseGrpcTimeout(header);
    if (parsed !== undefined) caller = caller === undefined ? parsed : Math.min(caller, parsed);
  }
  if (caller !== undefined) {
    const bounded = Math.max(1, caller - CALLER_MARGIN_MS);
    ms = ms === undefined ? bounded : Math.min(ms, bounded);
  }
  return ms;
}

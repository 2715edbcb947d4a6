/**
 * A listener exposes endpoints over one protocol and hands each request to the executor.
 * It owns decoding, encoding and the protocol's error mapping; it never decides what a
 * flow does.
 */
import type { FlowPlan } from '../compile/plan.js';
import type { FlowRequest, FlowResult } from '../flow/types.js';

export interface Listener {
  /** Binds and starts serving; resolves with the bound address (`127.0.0.1:4312`). */
  listen(): Promise<string>;
  /** Stops accepting, lets requests in flight finish, then releases the port. */
  close(): Promise<void>;
}

/** What a listener needs of the executor: the flow `Executor` satisfies it. */
export interface FlowRunner {
  /** Runs one request of a flow; never throws for a flow failure, answers a FlowFailure. */
  run(flow: FlowPlan, request: FlowRequest): Promise<FlowResult>;
  /** Answers a request the flow could not start (a bad body) with the flow's error shape. */
  reject(flow: FlowPlan, request: FlowRequest, status: number, message: string): FlowResult;
}

/**
 * What a listener hands the executor, and what it gets back. Protocol-neutral: the HTTP,
 * gRPC and GraphQL listeners all speak this.
 */
import type { EndpointPlan } from '../compile/plan.js';

export interface FlowRequest {
  /** Decoded body (or GraphQL arguments, or gRPC message). Path/query params are merged in by the executor. */
  input: Record<string, unknown>;
  /** All request headers, lower-cased names; the executor keeps those the flow declares. */
  header: Record<string, string | string[] | undefined>;
  /** Path and query parameters. */
  params: Record<string, string>;
  requestId: string;
  /** Aborted when the client goes away: in-flight calls are aborted and the flow fails. */
  signal: AbortSignal;
  /** The client's IP address, read as `input.remote:address`. */
  remoteAddress?: string;
  /** The endpoint the request came through (its rate limit applies). */
  endpoint?: EndpointPlan;
  /** The caller's own deadline (a gRPC deadline), ms since the epoch: bounds the flow. */
  deadline?: number;
}

export interface FlowSuccess {
  ok: true;
  /** Success status from the endpoint, if the listener should override its default. */
  header: Record<string, string>;
  /** The mapped output (typed values), or undefined for a flow without output. */
  body: unknown;
}

export interface FlowFailure {
  ok: false;
  /** HTTP-style status: 4xx/5xx. */
  status: number;
  message: string;
  /** The error object to send (default `{status, message}`). */
  body: unknown;
  header: Record<string, string>;
  /** A stable code for clients that read one (GraphQL extensions.code), e.g. RATE_LIMITED. */
  code?: string;
}

export type FlowResult = FlowSuccess | FlowFailure;

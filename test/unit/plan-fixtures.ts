/**
 * Typed plan values for tests that build plans by hand (listener and caller tests): they
 * come from compile's own parsers, as in a compiled plan.
 */
import { parseListenAddress } from '../../src/compile/address.js';
import type { Plan } from '../../src/compile/plan.js';
import { parseRoute, type Route } from '../../src/compile/route.js';
import {
  parseGrpcHost,
  parseHttpHost,
  upstreamTarget,
  type GrpcHost,
  type HttpHost,
  type UpstreamTarget,
} from '../../src/compile/upstream.js';
import type { RunnablePlan } from '../../src/flow/bind.js';

function ok<T>(value: T | string): T {
  if (typeof value === 'string') throw new Error(value);
  return value;
}

export const route = (path: string): Route => ok(parseRoute(path, { wildcard: true }));
export const address = (text: string) => ok(parseListenAddress(text));
export const httpHost = (host: string): HttpHost => ok(parseHttpHost(host));
export const grpcHost = (host: string): GrpcHost => ok(parseGrpcHost(host));
export const target = (host: string, path?: string): UpstreamTarget => ok(upstreamTarget(httpHost(host), path));

/** For executors whose `run` a test scripts: no flow of theirs is ever run for real. */
export const NO_FLOWS: RunnablePlan = { plan: {} as Plan, flows: new Map(), unsupported: [] };

/**
 * Endpoint rate limits, in front of the flow runner of each listener: a request over its
 * limit is answered 429 before the flow starts, so nothing upstream is called. The answer
 * carries `Retry-After` and the IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers),
 * which the HTTP listener sends as headers, the gRPC listener as metadata with
 * RESOURCE_EXHAUSTED, and GraphQL as an error with extensions.code = "RATE_LIMITED":
 *
 *   RateLimit-Policy: "default";q=5;w=60       5 requests per 60 s
 *   RateLimit: "default";r=0;t=12              0 left, full again in 12 s
 *   Retry-After: 12
 *
 * Successful flow answers carry the RateLimit fields too (proxies do not: their flow
 * headers go to the upstream).
 */
import type { EndpointPlan, ExecContext, FlowPlan, RateLimitPlan } from '../compile/plan.js';
import { createContext } from '../flow/context.js';
import type { FlowRequest, FlowResult } from '../flow/types.js';
import type { FlowRunner } from '../transport/listener.js';
import type { Limiter } from './limiter.js';
import type { Count, TrafficMeters } from './meters.js';
import type { Decision } from './token-bucket.js';

interface EndpointLimit {
  plan: RateLimitPlan;
  /** `"default";q=5;w=60`, built once. */
  policy: string;
  limited: Count;
}

export function limitFlows(
  runner: FlowRunner,
  endpoints: readonly EndpointPlan[],
  limiter: Limiter,
  meters: TrafficMeters,
): FlowRunner {
  const limits = new Map<EndpointPlan, EndpointLimit>();
  for (const endpoint of endpoints) {
    const plan = endpoint.rateLimit;
    if (!plan) continue;
    const window = Math.max(1, Math.round(plan.everyMs / 1000));
    limits.set(endpoint, {
      plan,
      policy: `"default";q=${plan.requests};w=${window}`,
      limited: meters.limited(endpoint.protocol, endpointLabel(endpoint), plan.keyClass),
    });
  }
  if (limits.size === 0) return runner;
  return {
    async run(flow: FlowPlan, request: FlowRequest): Promise<FlowResult> {
      const limit = request.endpoint && limits.get(request.endpoint);
      if (!limit) return runner.run(flow, request);
      const decision = await limiter.take(limit.plan, bucketKey(limit.plan, flow, request));
      const headers = rateHeaders(limit, decision);
      if (!decision.allowed) {
        limit.limited.inc();
        const seconds = headers['retry-after']!;
        const failure = runner.reject(flow, request, 429, `rate limit exceeded; retry in ${seconds}s`);
        if (failure.ok) return failure;
        return { ...failure, header: { ...failure.header, ...headers }, code: 'RATE_LIMITED' };
      }
      const result = await runner.run(flow, request);
      if (flow.kind === 'proxy') return result;
      delete headers['retry-after'];
      return { ...result, header: { ...headers, ...result.header } };
    },
    reject: (flow, request, status, message) => runner.reject(flow, request, status, message),
  };
}

function rateHeaders(limit: EndpointLimit, decision: Decision): Record<string, string> {
  const reset = Math.ceil(decision.resetMs / 1000);
  return {
    'ratelimit-policy': limit.policy,
    ratelimit: `"default";r=${decision.remaining};t=${reset}`,
    'retry-after': String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))),
  };
}

/** The key over the request; a key that cannot be evaluated counts in the '' bucket. */
function bucketKey(plan: RateLimitPlan, flow: FlowPlan, request: FlowRequest): string {
  if (!plan.key) return '';
  try {
    return plan.key(keyContext(plan, flow, request));
  } catch {
    return '';
  }
}

/** The flow's context with the headers the key reads (they need not be input headers). */
function keyContext(plan: RateLimitPlan, flow: FlowPlan, request: FlowRequest): ExecContext {
  const ctx = createContext(flow, request, false);
  const header: Record<string, string> = {};
  for (const name of plan.keyHeaders) {
    const value = request.header[name];
    if (value !== undefined) header[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  ctx.inputHeader = header;
  return ctx;
}

function endpointLabel(e: EndpointPlan): string {
  if (e.protocol === 'http') return `${e.method} ${e.path}`;
  if (e.protocol === 'grpc') return `${e.package ? `${e.package}.` : ''}${e.service}/${e.method}`;
  return `${e.base} ${e.path.join('.')}`;
}

/**
 * Retries and circuit breakers around a prepared call, on cockatiel. Built once per call
 * at start; a call without `retry` and whose service has no `breaker` is left as it was,
 * so it pays nothing.
 *
 *   executor ─▶ retry (jittered exponential backoff) ─▶ breaker of the service ─▶ metered call
 *
 * What counts: a connection error (CallError 502), our own timeout (504), and answers
 * 502/503/504 (a gRPC UNAVAILABLE is 503). The breaker also counts any other 5xx answer.
 * An open breaker fails at once with 503 naming the service; that is never retried.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  halfJitterGenerator,
  handleWhen,
  retry,
  type CircuitBreakerPolicy,
  type RetryPolicy,
} from 'cockatiel';
import type { Logger } from 'pino';
import type { CallPlan, CallResult, PreparedCall, ServicePlan } from '../compile/plan.js';
import { CallError } from '../errors.js';

const RETRY_STATUS = new Set([502, 503, 504]);
export const BREAKER_OPEN = 'MAESTRO_ERR_BREAKER_OPEN';

function retryableError(error: Error): boolean {
  return error instanceof CallError && error.code !== BREAKER_OPEN && RETRY_STATUS.has(error.status);
}

function retryableResult(result: unknown): boolean {
  return RETRY_STATUS.has((result as CallResult).status);
}

function breakerFailure(error: Error): boolean {
  return error instanceof CallError && (error.status === 502 || error.status === 504);
}

/**
 * One circuit breaker per service that has a `breaker` block, shared by all its calls.
 * The daemon keeps one Breakers across reloads (#13): a service whose breaker settings did
 * not change keeps its breaker (an open one stays open); changed settings get a new one.
 */
export class Breakers {
  private readonly byService = new Map<string, CircuitBreakerPolicy>();
  private readonly settings = new Map<string, string>();

  constructor(private readonly logger: Logger) {}

  /** The service's breaker, made on first use (when calls are bound). */
  for(service: ServicePlan): CircuitBreakerPolicy | undefined {
    if (!service.breaker) return undefined;
    const { failures, coolDownMs } = service.breaker;
    const settings = `${failures}/${coolDownMs}`;
    let policy = this.settings.get(service.fullName) === settings ? this.byService.get(service.fullName) : undefined;
    if (!policy) {
      policy = circuitBreaker(
        handleWhen(breakerFailure).orWhenResult((r) => (r as CallResult).status >= 500),
        {
          halfOpenAfter: coolDownMs,
          breaker: new ConsecutiveBreaker(failures),
        },
      );
      const name = service.fullName;
      policy.onBreak(() => this.logger.warn({ service: name, coolDownMs }, 'circuit breaker open: calls fail fast'));
      policy.onHalfOpen(() => this.logger.info({ service: name }, 'circuit breaker half-open: one trial call'));
      policy.onReset(() => this.logger.info({ service: name }, 'circuit breaker closed'));
      this.byService.set(name, policy);
      this.settings.set(name, settings);
    }
    return policy;
  }

  /** Service name → 0 closed, 1 open, 2 half-open (for the metrics gauge). */
  states(): Array<[service: string, state: number]> {
    return [...this.byService].map(([name, p]) => [
      name,
      p.state === CircuitState.HalfOpen ? 2 : p.state === CircuitState.Closed ? 0 : 1,
    ]);
  }
}

/** Wraps `invoke` with the call's retry policy and its service's breaker, if any. */
export function withPolicies(call: CallPlan, invoke: PreparedCall, breakers: Breakers): PreparedCall {
  const breaker = breakers.for(call.service);
  const service = call.service.fullName;
  let attempt: PreparedCall = invoke;
  if (breaker) {
    const open = (cause?: unknown): CallError =>
      new CallError(`service ${service} is unavailable: its circuit breaker is open after repeated failures`, 503, {
        code: BREAKER_OPEN,
        cause,
      });
    attempt = async function guardedCall(out, signal) {
      // cockatiel queues calls behind the half-open trial; we fail them fast instead, so a
      // slow trial cannot pile requests up.
      if (breaker.state === CircuitState.HalfOpen) throw open();
      try {
        return await breaker.execute(() => invoke(out, signal));
      } catch (error) {
        if (!(error instanceof BrokenCircuitError)) throw error;
        throw open(error);
      }
    };
  }
  const plan = call.retry;
  if (!plan || plan.attempts <= 1) return attempt;
  const policy: RetryPolicy = retry(handleWhen(retryableError).orWhenResult(retryableResult), {
    maxAttempts: plan.attempts - 1,
    // Attempt n+1 waits between half and all of backoff × 2^(n-1), capped at max_backoff.
    backoff: new ExponentialBackoff({
      initialDelay: plan.backoffMs,
      maxDelay: plan.maxBackoffMs,
      generator: halfJitterGenerator,
    }),
  });
  const once = attempt;
  return function retriedCall(out, signal) {
    const retried = policy.execute(() => once(out, signal), signal);
    // cockatiel sleeps through its backoff even when the signal fires; the flow (deadline,
    // client gone) must not wait for it. The abandoned retry then stops at its next attempt.
    return new Promise<CallResult>((resolve, reject) => {
      const onAbort = (): void =>
        reject(
          new CallError(`call to ${service}.${call.method.name} aborted while waiting to retry`, 499, {
            code: 'MAESTRO_ERR_ABORTED',
          }),
        );
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      retried.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };
}

/**
 * Limits that protect an upstream: `rate_limit` (calls per time, all flows together, shared
 * through the store) and `max_in_flight` (concurrent calls in this instance). A call over
 * either waits, at most `max_wait`, for a token or a slot; past that it fails with 503,
 * which fails its flow, so the rollbacks of what already succeeded run. Rollback calls are
 * not limited: a compensation must not be dropped for want of a slot.
 *
 *   call ─▶ token (wait ≤ max_wait) ─▶ slot (FIFO, wait ≤ what is left) ─▶ upstream ─▶ free slot
 */
import type { PreparedCall, ServiceLimitPlan, ServicePlan } from '../compile/plan.js';
import { CallError } from '../errors.js';
import type { Limiter } from './limiter.js';
import type { Count, TrafficMeters } from './meters.js';

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A counting semaphore with a FIFO queue whose waiters give up at a deadline or on abort. */
class Slots {
  private used = 0;
  private readonly queue: Array<(granted: boolean) => void> = [];

  constructor(private readonly size: number) {}

  acquire(waitMs: number, signal: AbortSignal): Promise<boolean> {
    if (this.used < this.size) {
      this.used++;
      return Promise.resolve(true);
    }
    if (waitMs <= 0 || signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const settle = (granted: boolean): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(granted);
      };
      const leave = (): void => {
        const i = this.queue.indexOf(settle);
        if (i >= 0) this.queue.splice(i, 1);
        settle(false);
      };
      const onAbort = leave;
      const timer = setTimeout(leave, waitMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(settle);
    });
  }

  /** Hands the slot to the oldest waiter, or frees it. */
  release(): void {
    const next = this.queue.shift();
    if (next) next(true);
    else this.used--;
  }
}

/** One gate per service, shared by every call of it. */
export class ServiceGate {
  private readonly slots: Slots | undefined;
  private readonly limitedByRate: Count;
  private readonly limitedBySlots: Count;

  constructor(
    private readonly service: ServicePlan,
    private readonly limits: ServiceLimitPlan,
    private readonly limiter: Limiter,
    meters: TrafficMeters,
  ) {
    this.slots = limits.maxInFlight === undefined ? undefined : new Slots(limits.maxInFlight);
    this.limitedByRate = meters.serviceLimited(service.fullName, 'rate_limit');
    this.limitedBySlots = meters.serviceLimited(service.fullName, 'max_in_flight');
  }

  wrap(invoke: PreparedCall): PreparedCall {
    const { limits, slots, service } = this;
    return async (out, signal) => {
      const deadline = Date.now() + limits.maxWaitMs;
      if (limits.rateLimit) await this.token(deadline, signal);
      if (!slots) return invoke(out, signal);
      if (!(await slots.acquire(deadline - Date.now(), signal))) {
        if (signal.aborted) throw aborted(service);
        this.limitedBySlots.inc();
        throw new CallError(
          `service ${service.fullName}: ${limits.maxInFlight} calls in flight (max_in_flight); no slot within ${limits.maxWaitMs}ms`,
          503,
          { code: 'MAESTRO_ERR_SERVICE_LIMIT' },
        );
      }
      try {
        return await invoke(out, signal);
      } finally {
        slots.release();
      }
    };
  }

  /** Takes a token, waiting for the next one while it comes before the deadline. */
  private async token(deadline: number, signal: AbortSignal): Promise<void> {
    const plan = this.limits.rateLimit!;
    for (;;) {
      const decision = await this.limiter.take(plan, '');
      if (decision.allowed) return;
      const left = deadline - Date.now();
      if (decision.retryAfterMs > left) {
        this.limitedByRate.inc();
        throw new CallError(
          `service ${this.service.fullName}: rate limit of ${plan.requests} calls per ${plan.everyMs}ms reached; no call possible within ${this.limits.maxWaitMs}ms`,
          503,
          { code: 'MAESTRO_ERR_SERVICE_LIMIT' },
        );
      }
      if (!(await pause(Math.max(1, decision.retryAfterMs), signal))) throw aborted(this.service);
    }
  }
}

function aborted(service: ServicePlan): CallError {
  return new CallError(`call to ${service.fullName} aborted: the client went away`, 499, {
    code: 'MAESTRO_ERR_ABORTED',
  });
}

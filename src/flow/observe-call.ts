/**
 * Observing a prepared call (metrics, /flows figures) without an async layer per observer.
 * Each observer used to be its own async wrapper, timing the call around the next one:
 *
 *   timed ─▶ metered ─▶ invokeHttp          two extra promises and clock pairs per call
 *
 * `observeCall` instead keeps one wrapper per call: observing a call that is already an
 * observed wrapper gives a new wrapper around the same inner call with the observers
 * joined, innermost first, all fed from one clock pair:
 *
 *   observed(timed, metered) ─▶ invokeHttp
 *
 * A wrapper that is not an observer in between (retries, a breaker, a cache) breaks the
 * chain, so each observer still sees exactly what it wrapped: metrics see every attempt,
 * figures see the resource's call.
 */
import type { CallResult, OutgoingCall, PreparedCall } from '../compile/plan.js';

/**
 * Told how one call went: `ms` since it started, and its result or what it threw
 * (`result` undefined). Called in order, innermost first; it must not throw.
 */
export type CallObserver = (ms: number, out: OutgoingCall, result: CallResult | undefined, error: unknown) => void;

interface Observed {
  readonly inner: PreparedCall;
  readonly observers: readonly CallObserver[];
}

const observedCalls = new WeakMap<PreparedCall, Observed>();

/** `invoke` with `observer` told of every call (see above). */
export function observeCall(invoke: PreparedCall, observer: CallObserver): PreparedCall {
  const existing = observedCalls.get(invoke);
  const inner = existing ? existing.inner : invoke;
  const observers = existing ? [...existing.observers, observer] : [observer];
  const n = observers.length;
  const observed: PreparedCall = async function observedCall(out, signal) {
    const start = performance.now();
    let result: CallResult;
    try {
      result = await inner(out, signal);
    } catch (error) {
      const ms = performance.now() - start;
      for (let i = 0; i < n; i++) observers[i]!(ms, out, undefined, error);
      throw error;
    }
    const ms = performance.now() - start;
    for (let i = 0; i < n; i++) observers[i]!(ms, out, result, undefined);
    return result;
  };
  observedCalls.set(observed, { inner, observers });
  return observed;
}

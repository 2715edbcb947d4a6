/** observeCall: observers share one wrapper per call and see every result or error. */
import { describe, expect, it } from 'vitest';
import type { CallResult, OutgoingCall, PreparedCall } from '../../src/compile/plan.js';
import { CallError } from '../../src/errors.js';
import { observeCall, type CallObserver } from '../../src/flow/observe-call.js';

const out: OutgoingCall = { body: undefined, params: {}, headers: {}, requestId: 'r1' };
const signal = new AbortController().signal;

function recorder(name: string, seen: string[]): CallObserver {
  return (ms, call, result, error) => {
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(call).toBe(out);
    seen.push(result ? `${name}:${result.status}` : `${name}:${(error as Error).message}`);
  };
}

describe('observeCall', () => {
  it('tells every observer of a result, innermost first, and calls the inner call once', async () => {
    let calls = 0;
    const answer: CallResult = { status: 201, headers: {}, body: { ok: true } };
    const inner: PreparedCall = async () => {
      calls++;
      return answer;
    };
    const seen: string[] = [];
    const call = observeCall(observeCall(inner, recorder('metrics', seen)), recorder('figures', seen));
    await expect(call(out, signal)).resolves.toBe(answer);
    expect(calls).toBe(1);
    expect(seen).toEqual(['metrics:201', 'figures:201']);
  });

  it('tells every observer of an error and rethrows it', async () => {
    const inner: PreparedCall = () => Promise.reject(new CallError('refused', 502));
    const seen: string[] = [];
    const call = observeCall(observeCall(inner, recorder('a', seen)), recorder('b', seen));
    await expect(call(out, signal)).rejects.toThrow('refused');
    expect(seen).toEqual(['a:refused', 'b:refused']);
  });

  it('keeps the first wrapper working on its own after a second observer joins', async () => {
    const inner: PreparedCall = async () => ({ status: 200, headers: {}, body: {} });
    const seen: string[] = [];
    const first = observeCall(inner, recorder('first', seen));
    observeCall(first, recorder('second', seen));
    await first(out, signal);
    expect(seen).toEqual(['first:200']);
  });

  it('does not join across a wrapper that is not an observer (retries see each attempt)', async () => {
    let attempts = 0;
    const inner: PreparedCall = async () => ({ status: ++attempts < 3 ? 503 : 200, headers: {}, body: {} });
    const seen: string[] = [];
    const metered = observeCall(inner, recorder('attempt', seen));
    const retried: PreparedCall = async (o, s) => {
      let result = await metered(o, s);
      while (result.status === 503) result = await metered(o, s);
      return result;
    };
    const call = observeCall(retried, recorder('resource', seen));
    await expect(call(out, signal)).resolves.toMatchObject({ status: 200 });
    expect(seen).toEqual(['attempt:503', 'attempt:503', 'attempt:200', 'resource:200']);
  });
});

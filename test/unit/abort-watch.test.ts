/** watchAbort: one EventTarget listener per signal, callbacks registered and removed cheaply. */
import { describe, expect, it } from 'vitest';
import { watchAbort } from '../../src/shared/abort-watch.js';

describe('watchAbort', () => {
  it('runs the callbacks still registered when the signal aborts, once each', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const stopA = watchAbort(controller.signal, () => calls.push('a'));
    watchAbort(controller.signal, () => calls.push('b'));
    const stopC = watchAbort(controller.signal, () => calls.push('c'));
    stopA();
    controller.abort();
    stopC(); // after the abort: harmless
    controller.abort();
    expect(calls.sort()).toEqual(['b', 'c']);
  });

  it('keeps signals apart; every callback due when the abort fires runs, even one unregistered meanwhile', () => {
    const one = new AbortController();
    const two = new AbortController();
    const calls: string[] = [];
    let stopLater: () => void = () => undefined;
    watchAbort(one.signal, () => {
      calls.push('first');
      stopLater();
    });
    stopLater = watchAbort(one.signal, () => calls.push('second'));
    watchAbort(two.signal, () => calls.push('other'));
    one.abort();
    expect(calls).toEqual(['first', 'second']);
  });
});

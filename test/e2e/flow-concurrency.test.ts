/**
 * Concurrency end to end: independent resources are in flight together (proven by a
 * barrier in the upstream, which answers only once all three calls have arrived), and a
 * chain of references runs strictly one after the other, each body carrying the
 * previous answer.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { barrier, daemon, FLOW_FIXTURES, postJson, sendJson, upstream } from './helpers.js';

const CONFIG = [join(FLOW_FIXTURES, 'concurrency.hcl')];

/** Counts calls between their arrival and the end of their answer. */
function inFlight(): {
  enter(res: { once(event: 'finish' | 'close', fn: () => void): unknown }): void;
  readonly max: number;
} {
  let now = 0;
  let max = 0;
  return {
    enter(res) {
      now++;
      max = Math.max(max, now);
      let left = false;
      const leave = (): void => {
        if (!left) now--;
        left = true;
      };
      res.once('finish', leave);
      res.once('close', leave);
    },
    get max() {
      return max;
    },
  };
}

describe('flows: concurrency', () => {
  it('calls three independent resources at once', async () => {
    const all = barrier(3);
    const flight = inFlight();
    const parts = await upstream(async (_req, res, seen) => {
      flight.enter(res);
      const together = await all.arrive();
      if (!together) return sendJson(res, 500, { message: 'the calls did not arrive together' });
      sendJson(res, 200, { part: `${seen.url.slice(1)}-${(JSON.parse(seen.body) as { order: string }).order}` });
    });
    const { base } = await daemon(CONFIG, { UPSTREAM_PARTS: parts.url });

    const res = await postJson(`${base}/fanout`, { order: 'o-7' });
    expect(all.timedOut, 'the three calls were never in flight together').toBe(false);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ a: 'a-o-7', b: 'b-o-7', c: 'c-o-7' });
    expect(flight.max).toBe(3);
    expect(parts.seen.map((s) => s.url).sort()).toEqual(['/a', '/b', '/c']);
    for (const seen of parts.seen) expect(JSON.parse(seen.body)).toEqual({ order: 'o-7' });
  });

  it('runs a chain of references in order, each call carrying the previous answer', async () => {
    const flight = inFlight();
    const parts = await upstream((_req, res, seen) => {
      flight.enter(res);
      const { previous } = JSON.parse(seen.body) as { previous: string };
      // Answer on a later turn, so a call that did not wait would overlap this one.
      setImmediate(() => sendJson(res, 200, { trail: `${previous}>${seen.url.slice(1)}` }));
    });
    const { base } = await daemon(CONFIG, { UPSTREAM_PARTS: parts.url });

    const res = await postJson(`${base}/chain`, { start: 's' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ trail: 's>a>b>c' });
    expect(parts.seen.map((s) => [s.url, JSON.parse(s.body)])).toEqual([
      ['/a', { previous: 's' }],
      ['/b', { previous: 's>a' }],
      ['/c', { previous: 's>a>b' }],
    ]);
    expect(flight.max, 'calls of the chain overlapped').toBe(1);
  });
});

/**
 * A circuit breaker per upstream service, and flow deadlines, end to end.
 *
 *   breaker: 3 failures ─▶ open: 503 at once, upstream not called ─▶ cool-down ─▶
 *            one trial call (others still fail fast) ─▶ success ─▶ closed
 *   deadline: first ✓ ─▶ second never answers ─▶ 504 at the deadline ─▶ first's rollback
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { daemon, deferred, postJson, send, sendJson, upstream, waitFor, type Answer, type Seen } from './helpers.js';
import type { ServerResponse } from 'node:http';

const CONFIG = [fileURLToPath(new URL('../fixtures/resilience/policies.hcl', import.meta.url))];
const CWD = join(CONFIG[0]!, '..');

async function start(routes: Record<string, (res: ServerResponse, seen: Seen) => void>, flowTimeout = '') {
  const store = await upstream((_req, res, seen) => {
    const handler = routes[seen.url];
    if (handler) handler(res, seen);
    else sendJson(res, 404, { message: 'no route' });
  });
  const running = await daemon(CONFIG, { UPSTREAM: store.url, FLOW_TIMEOUT: flowTimeout }, CWD);
  const metrics = async () => (await send(`${running.base}/metrics`)).text;
  return { ...running, store, metrics, calls: (url: string) => store.seen.filter((s) => s.url === url) };
}

describe('circuit breaker', () => {
  it('opens after 3 failures, fails fast naming the service, half-opens with one trial, closes on recovery', async () => {
    let healthy = false;
    const trial = deferred();
    const trialArrived = deferred();
    const s = await start({
      '/fragile': (res) => {
        if (!healthy) return sendJson(res, 500, { message: 'down' });
        if (!trialArrived.settled) {
          trialArrived.resolve();
          void trial.promise.then(() => sendJson(res, 200, { value: 'back' }));
          return;
        }
        sendJson(res, 200, { value: 'back' });
      },
    });
    for (let i = 0; i < 3; i++) expect((await send(`${s.base}/fragile`)).status).toBe(500);
    expect(s.calls('/fragile')).toHaveLength(3);

    const open = await send(`${s.base}/fragile`);
    expect(open.status).toBe(503);
    expect(open.json<{ message: string }>().message).toContain(
      'service res.Fragile is unavailable: its circuit breaker is open',
    );
    expect(s.calls('/fragile')).toHaveLength(3); // not called
    expect(await s.metrics()).toContain('maestro_breaker_state{service="res.Fragile"} 1');

    // The upstream recovers; requests keep failing fast until the cool-down lets one trial through.
    healthy = true;
    let trialAnswer: Promise<Answer> | undefined;
    const deadline = Date.now() + 5_000;
    while (!trialAnswer) {
      if (Date.now() > deadline) throw new Error('no trial call within 5 s');
      const attempt = send(`${s.base}/fragile`);
      const first = await Promise.race([attempt, trialArrived.promise.then(() => 'trial' as const)]);
      if (first === 'trial') trialAnswer = attempt;
      else {
        expect(first.status).toBe(503);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    expect(s.calls('/fragile')).toHaveLength(4);
    // Half-open: while the trial is in flight, others still fail fast.
    expect((await send(`${s.base}/fragile`)).status).toBe(503);
    expect(await s.metrics()).toContain('maestro_breaker_state{service="res.Fragile"} 2');
    expect(s.calls('/fragile')).toHaveLength(4);

    trial.resolve();
    expect((await trialAnswer).status).toBe(200);
    expect((await send(`${s.base}/fragile`)).json()).toEqual({ value: 'back' });
    expect(s.calls('/fragile')).toHaveLength(5);
    expect(await s.metrics()).toContain('maestro_breaker_state{service="res.Fragile"} 0');
  });
});

describe('flow deadlines', () => {
  const routes = {
    '/read': (res: ServerResponse) => sendJson(res, 200, { value: 'r-9' }),
    '/hang': () => undefined, // never answers
    '/undo': (res: ServerResponse) => sendJson(res, 200, {}),
  };

  it("answers 504 at the flow's timeout and rolls back what succeeded", async () => {
    const s = await start(routes);
    const answer = await postJson(`${s.base}/slow`, {});
    expect(answer.status).toBe(504);
    expect(answer.json<{ message: string }>().message).toBe('flow "slow" did not finish within its deadline of 300ms');
    await waitFor(() => s.calls('/undo').length === 1, 'the rollback of the first call');
    expect(JSON.parse(s.calls('/undo')[0]!.body)).toEqual({ value: 'r-9' });
    expect(s.calls('/hang')).toHaveLength(1);
  });

  it('applies flow_timeout to a flow without its own', async () => {
    const s = await start(routes, '250ms');
    const answer = await postJson(`${s.base}/slow-default`, {});
    expect(answer.status).toBe(504);
    expect(answer.json<{ message: string }>().message).toContain('deadline of 250ms');
    await waitFor(() => s.calls('/undo').length === 1, 'the rollback of the first call');
  });

  it('is bounded by a grpc-timeout header from the caller', async () => {
    const s = await start(routes);
    const answer = await postJson(`${s.base}/slow-default`, {}, { 'grpc-timeout': '200m' });
    expect(answer.status).toBe(504);
    await waitFor(() => s.calls('/undo').length === 1, 'the rollback of the first call');
  });
});

/**
 * SAGA rollbacks end to end. A flow reserves (slow) and holds (fast) in parallel; the
 * charge that follows the hold fails while the reservation is still in flight:
 *
 *   reservation ───────────────────────────▶ answered after the charge failed
 *   hold ─▶ charge ✗ 402
 *
 * The in-flight reservation is awaited, the client gets the mapped error (409) without
 * waiting for compensation, then the rollbacks run one by one in reverse completion
 * order — reservation's (completed last) first, hold's second — each built from the
 * answers. Upstream handlers hold answers on deferreds the test releases, so every
 * "before" below is an order of events, never a duration.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  daemon,
  deferred,
  FLOW_FIXTURES,
  orAfter,
  postJson,
  send,
  sendJson,
  upstream,
  waitFor,
  type Deferred,
  type Upstream,
} from './helpers.js';

const CONFIG = [join(FLOW_FIXTURES, 'saga.hcl')];
const HOLD_LIMIT_MS = 5_000;

interface Store {
  store: Upstream;
  events: string[];
  /** Released by the test: lets the first rollback (the reservation's release) answer. */
  release: Deferred;
}

/** The store upstream of saga.hcl; `events` interleaves what it saw with what the test saw. */
async function startStore(): Promise<Store> {
  const events: string[] = [];
  const chargeAnswered = deferred();
  const release = deferred();
  const answered = (res: { once(e: 'finish', f: () => void): unknown }, what: string): void => {
    res.once('finish', () => events.push(`${what} answered`));
  };
  const store = await upstream(
    async (req, res, seen) => {
      const route = `${seen.method} ${seen.url}`;
      switch (route) {
        case 'POST /reservations': {
          // Still in flight when the charge fails: answers only after the charge's 402 went out.
          const after = await orAfter(
            chargeAnswered.promise.then(() => 'charge'),
            HOLD_LIMIT_MS,
            'timeout',
          );
          answered(res, 'reservation');
          return sendJson(res, 200, { id: 'r-1', waited: after });
        }
        case 'POST /holds':
          answered(res, 'hold');
          return sendJson(res, 200, { id: 'h-1', amount: 30 });
        case 'POST /charges':
          res.once('finish', () => chargeAnswered.resolve());
          answered(res, 'charge');
          return sendJson(res, 402, { message: 'declined', reason: 'card declined' });
        case 'DELETE /reservations/r-1': {
          await orAfter(release.promise, HOLD_LIMIT_MS, undefined);
          answered(res, 'release');
          return sendJson(res, 500, { message: 'cannot release now' }); // a failed rollback
        }
        case 'POST /holds/undo':
          answered(res, 'unhold');
          return sendJson(res, 200, {});
        case 'POST /hang':
          // Never answers; records whether the connection closed before an answer.
          res.once('close', () => {
            if (!res.writableFinished) events.push('hang closed before its answer');
          });
          return;
        default:
          return sendJson(res, 404, { message: `no route ${route}` });
      }
    },
    { log: events, name: 'store' },
  );
  return { store, events, release };
}

const rollbackCalls = (store: Upstream) =>
  store.seen
    .filter((s) => s.method === 'DELETE' || s.url === '/holds/undo')
    .map((s) => ({ call: `${s.method} ${s.url}`, body: s.body === '' ? undefined : JSON.parse(s.body) }));

describe('flows: rollbacks', () => {
  it('awaits the parallel call, answers the mapped error, then rolls back in reverse completion order', async () => {
    const { store, events, release } = await startStore();
    const { base } = await daemon(CONFIG, { UPSTREAM_STORE: store.url });

    const answer = await postJson(`${base}/orders`, { order: 'o-1' }, { 'x-request-id': 'saga-1' });
    events.push('client answered');
    expect(answer.status).toBe(409);
    expect(answer.json()).toEqual({ code: 409, text: 'payment refused', reason: 'card declined' });
    // The reservation still in flight when the charge failed was awaited first.
    expect(events.indexOf('reservation answered')).toBeGreaterThan(events.indexOf('charge answered'));
    expect(events.indexOf('client answered')).toBeGreaterThan(events.indexOf('reservation answered'));

    // The first rollback arrives and is held: the client already had its answer.
    await waitFor(() => events.includes('store DELETE /reservations/r-1'), 'the reservation to be released');
    expect(events).not.toContain('release answered');
    // One at a time: the next rollback waits for this one.
    expect(events).not.toContain('store POST /holds/undo');
    release.resolve();

    // The release failed (500); the hold is undone all the same.
    await waitFor(() => events.includes('unhold answered'), 'the hold to be undone');
    expect(rollbackCalls(store)).toEqual([
      { call: 'DELETE /reservations/r-1', body: undefined },
      { call: 'POST /holds/undo', body: { hold: 'h-1', amount: 30, note: 'undo o-1' } },
    ]);
    const order = [
      'client answered',
      'store DELETE /reservations/r-1',
      'release answered',
      'store POST /holds/undo',
      'unhold answered',
    ];
    expect(events.filter((e) => order.includes(e))).toEqual(order);
    // Every call, rollbacks included, carries the request id.
    expect(store.seen.every((s) => s.headers['x-request-id'] === 'saga-1')).toBe(true);
    expect(store.seen.map((s) => `${s.method} ${s.url}`).filter((c) => c.startsWith('POST /charges'))).toHaveLength(1);
  });

  it('close() resolves only after the pending rollbacks have run', async () => {
    const { store, events, release } = await startStore();
    const { daemon: running, base } = await daemon(CONFIG, { UPSTREAM_STORE: store.url });

    expect((await postJson(`${base}/orders`, { order: 'o-2' })).status).toBe(409);
    await waitFor(() => events.includes('store DELETE /reservations/r-1'), 'the first rollback');

    let closed = false;
    const closing = running.close().then(() => {
      closed = true;
      events.push('daemon closed');
    });
    // The listener stops accepting, yet close() keeps waiting for the held rollback.
    await waitFor(
      () =>
        send(`${base}/healthz`).then(
          () => false,
          () => true,
        ),
      'the listener to stop accepting',
    );
    // No sleep: the held rollback cannot have been answered, and the order checked below
    // ('unhold answered' before 'daemon closed') is what proves close() waited.
    expect(closed).toBe(false);
    expect(events).not.toContain('store POST /holds/undo');

    release.resolve();
    await closing;
    expect(events.indexOf('store POST /holds/undo')).toBeGreaterThan(-1);
    expect(events.indexOf('daemon closed')).toBeGreaterThan(events.indexOf('unhold answered'));
  });

  it('aborts the upstream call when the client goes away, then rolls back what completed', async () => {
    const { store, events } = await startStore();
    const { base } = await daemon(CONFIG, { UPSTREAM_STORE: store.url });

    const controller = new AbortController();
    const client = send(`${base}/abandon`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"order":"o-3"}',
      signal: controller.signal,
    }).then(
      () => 'answered',
      (error: unknown) => (error as Error).name,
    );
    await waitFor(() => events.includes('store POST /hang'), 'the hanging call to arrive');
    controller.abort();
    expect(await client).toBe('AbortError');

    await waitFor(() => events.includes('hang closed before its answer'), 'the upstream call to be aborted');
    await waitFor(() => events.includes('unhold answered'), 'the completed hold to be undone');
    expect(rollbackCalls(store)).toEqual([{ call: 'POST /holds/undo', body: { hold: 'h-1' } }]);
  });
});

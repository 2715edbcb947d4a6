/**
 * Retries against a real upstream that counts attempts: a GET is retried on 503 and on a
 * reset connection, with backoff, up to its attempts; a 500 is not retried; a POST is
 * retried only when the flow says `idempotent = true`, and then every attempt carries
 * the same Idempotency-Key (a new one per run); rollbacks are retried by default.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { daemon, postJson, send, sendJson, shared, upstream, waitFor, type Seen } from './helpers.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

const CONFIG = [fileURLToPath(new URL('../fixtures/resilience/policies.hcl', import.meta.url))];
type Route = (res: ServerResponse, seen: Seen, nth: number, req: IncomingMessage) => void;

const setup = shared(async () => {
  const routes = new Map<string, Route>();
  const arrivals: Array<{ route: string; at: number; seen: Seen }> = [];
  const store = await upstream((req, res, seen) => {
    const route = seen.url.split('?')[0]!;
    arrivals.push({ route, at: performance.now(), seen });
    const nth = arrivals.filter((a) => a.route === route).length;
    const handler = routes.get(route);
    if (handler) handler(res, seen, nth, req);
    else sendJson(res, 404, { message: `no route ${route}` });
  });
  const { base } = await daemon(CONFIG, { UPSTREAM: store.url, FLOW_TIMEOUT: '' }, join(CONFIG[0]!, '..'));
  return { base, routes, arrivals };
});

function reset(): ReturnType<typeof setup> {
  const s = setup();
  s.routes.clear();
  s.arrivals.length = 0;
  return s;
}

const at = (s: ReturnType<typeof setup>, route: string) => s.arrivals.filter((a) => a.route === route);

describe('retries', () => {
  it('retries a GET on 503 with growing backoff, then succeeds', async () => {
    const s = reset();
    s.routes.set('/read', (res, _seen, nth) =>
      nth < 3 ? sendJson(res, 503, { message: 'busy' }) : sendJson(res, 200, { value: 'v' }),
    );
    const answer = await send(`${s.base}/read`);
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ value: 'v' });
    const times = at(s, '/read').map((a) => a.at);
    expect(times).toHaveLength(3);
    // backoff 100ms, half-jittered: the first wait is at least 50ms, the second at least 100ms.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(45);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(95);
  });

  it('gives up after its attempts and answers the last status', async () => {
    const s = reset();
    s.routes.set('/read', (res) => sendJson(res, 503, { message: 'still busy' }));
    const answer = await send(`${s.base}/read`);
    expect(answer.status).toBe(503);
    expect(at(s, '/read')).toHaveLength(3);
  });

  it('retries a reset connection', async () => {
    const s = reset();
    s.routes.set('/read', (res, _seen, nth, req) =>
      nth === 1 ? req.socket.destroy() : sendJson(res, 200, { value: 'after reset' }),
    );
    const answer = await send(`${s.base}/read`);
    expect(answer.status).toBe(200);
    expect(at(s, '/read')).toHaveLength(2);
  });

  it('does not retry a 500', async () => {
    const s = reset();
    s.routes.set('/read', (res) => sendJson(res, 500, { message: 'bug' }));
    expect((await send(`${s.base}/read`)).status).toBe(500);
    expect(at(s, '/read')).toHaveLength(1);
  });

  it('does not retry a POST the flow did not declare idempotent', async () => {
    const s = reset();
    s.routes.set('/write', (res) => sendJson(res, 503, { message: 'busy' }));
    expect((await postJson(`${s.base}/write`, { item: 'a' })).status).toBe(503);
    expect(at(s, '/write')).toHaveLength(1);
    expect(at(s, '/write')[0]!.seen.headers['idempotency-key']).toBeUndefined();
  });

  it('retries a POST declared idempotent, with one Idempotency-Key per run', async () => {
    const s = reset();
    s.routes.set('/write', (res, _seen, nth) =>
      nth % 3 === 0 ? sendJson(res, 200, {}) : sendJson(res, 502, { message: 'bad gateway' }),
    );
    expect((await postJson(`${s.base}/write-again`, { item: 'a' })).status).toBe(200);
    expect((await postJson(`${s.base}/write-again`, { item: 'b' })).status).toBe(200);
    const keys = at(s, '/write').map((a) => a.seen.headers['idempotency-key']);
    expect(keys).toHaveLength(6);
    expect(new Set(keys.slice(0, 3)).size).toBe(1);
    expect(new Set(keys.slice(3)).size).toBe(1);
    expect(keys[0]).not.toBe(keys[3]);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}:write$/);
    expect(at(s, '/write').map((a) => JSON.parse(a.seen.body))).toEqual([
      ...Array(3).fill({ item: 'a' }),
      ...Array(3).fill({ item: 'b' }),
    ]);
  });

  it('retries a rollback by default', async () => {
    const s = reset();
    s.routes.set('/read', (res) => sendJson(res, 200, { value: 'r-1' }));
    s.routes.set('/hang', (res) => sendJson(res, 409, { message: 'conflict' }));
    s.routes.set('/undo', (res, _seen, nth) =>
      nth < 3 ? sendJson(res, 503, { message: 'busy' }) : sendJson(res, 200, {}),
    );
    expect((await postJson(`${s.base}/undo`, {})).status).toBe(409);
    await waitFor(() => at(s, '/undo').length === 3, 'the rollback to succeed on its third attempt');
    expect(at(s, '/undo').map((a) => JSON.parse(a.seen.body))).toEqual(Array(3).fill({ value: 'r-1' }));
    expect(new Set(at(s, '/undo').map((a) => a.seen.headers['idempotency-key'])).size).toBe(1);
  });
});

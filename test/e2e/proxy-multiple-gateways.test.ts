/**
 * Semaphore's own multiple-gateways example, unchanged but for the hosts, run as two
 * daemon processes from the built CLI: a client asks the gateway for /v1/user; the
 * gateway's proxy runs ValidateUser, then forwards to the hub, whose flow calls GetUser.
 *
 *   client ──▶ gateway ──ValidateUser──▶ users
 *                 └──forward──▶ hub ──GetUser──▶ users
 */
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FIXTURES, spawnDaemon, startUpstream } from '../fixtures/proxy/helpers.js';

const EXAMPLE = join(FIXTURES, 'multiple-gateways');

describe('multiple gateways (two daemon processes)', () => {
  it('gateway → hub → users and back, one request id in every call and both logs', async () => {
    // Both methods are GET /users/1 in the example: each answer is numbered so the
    // client's body shows which call the hub's flow used.
    const calls: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }> = [];
    const users = await startUpstream((req, res) => {
      calls.push({ method: req.method!, url: req.url!, headers: req.headers });
      const n = calls.length;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: n, name: `user ${n}`, username: `u${n}`, email: 'not@in.the.output' }));
    });
    onTestFinished(() => users.close());

    const env = { LOG_LEVEL: 'info', USERS_HOST: users.url };
    const hub = await spawnDaemon(join(EXAMPLE, 'hub', 'config.hcl'), env);
    onTestFinished(async () => void (await hub.stop()));
    const gateway = await spawnDaemon(join(EXAMPLE, 'gateway', 'config.hcl'), {
      ...env,
      HUB_HOST: `http://${hub.address}`,
    });
    onTestFinished(async () => void (await gateway.stop()));

    const requestId = 'multi-gw-7f3a';
    const res = await request(`http://${gateway.address}/v1/user`, { headers: { 'x-request-id': requestId } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe(requestId);
    // The second call's answer: the hub's GetUser came after the gateway's ValidateUser.
    expect(await res.body.json()).toEqual({ id: 2, name: 'user 2', username: 'u2' });

    expect(calls).toHaveLength(2);
    expect(calls).toMatchObject([
      { method: 'GET', url: '/users/1', headers: { 'x-request-id': requestId } }, // ValidateUser (gateway)
      { method: 'GET', url: '/users/1', headers: { 'x-request-id': requestId } }, // GetUser (hub)
    ]);

    // SIGTERM: each daemon finishes and exits 0; then its logs are complete.
    expect(await gateway.stop()).toBe(0);
    expect(await hub.stop()).toBe(0);
    const completed = (logs: Array<Record<string, unknown>>) =>
      logs.filter((line) => line.requestId === requestId && line.msg === 'request completed');
    expect(completed(gateway.logs)).toMatchObject([{ method: 'GET', url: '/v1/user', status: 200 }]);
    expect(completed(hub.logs)).toMatchObject([{ method: 'GET', url: '/v1/user', status: 200 }]);
    // The shutdown lines come last and in order (exiting mid-write once lost or swapped them).
    const shutdown = [
      { msg: 'shutting down: finishing in-flight flows and pending rollbacks', signal: 'SIGTERM' },
      { msg: 'maestro stopped' },
    ];
    expect(gateway.logs.slice(-2)).toMatchObject(shutdown);
    expect(hub.logs.slice(-2)).toMatchObject(shutdown);
  });
});

/**
 * Websockets through a gateway daemon process (the built CLI): the proxy's auth resource
 * runs on the upgrade, then messages flow both ways to an echo server, in order, text
 * and binary kept, until a close that both ends see. A refused check never reaches the
 * echo server: the client gets the HTTP error on its upgrade.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  EDGE_CONFIG,
  GOOD,
  spawnDaemon,
  startAuth,
  startUpstream,
  within,
  type DaemonProcess,
  type Upstream,
} from '../fixtures/proxy/helpers.js';

interface Echo extends Upstream {
  /** TCP connections the echo server accepted. */
  connections: number;
  upgrades: IncomingMessage['headers'][];
  /** Close code and reason as the echo server saw them, per connection. */
  closed: Array<Promise<[number, string]>>;
}

async function startEcho(): Promise<Echo> {
  const upstream = await startUpstream((_req, res) => res.writeHead(404).end());
  const echo: Echo = Object.assign(upstream, { connections: 0, upgrades: [], closed: [] });
  upstream.server.on('connection', () => echo.connections++);
  const wss = new WebSocketServer({ server: upstream.server, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    echo.upgrades.push(req.headers);
    echo.closed.push(new Promise((resolve) => ws.on('close', (code, reason) => resolve([code, String(reason)]))));
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  });
  const close = upstream.close;
  echo.close = async () => {
    for (const ws of wss.clients) ws.terminate();
    await close();
  };
  return echo;
}

/** Message i: mostly text (some non-ASCII), every fifth binary of a varying size. */
function message(i: number): string | Buffer {
  if (i % 5 === 4) return randomBytes(i % 50 === 49 ? 70_000 : 1 + (i % 300));
  return `message ${i} ${'é€'.repeat(i % 7)}`;
}

describe('websocket proxy (daemon process)', () => {
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let echo: Echo;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    auth = await startAuth();
    echo = await startEcho();
    daemon = await spawnDaemon(EDGE_CONFIG, { LOG_LEVEL: 'warn', AUTH_HOST: auth.url, FILES_HOST: echo.url });
  });
  afterAll(async () => {
    const code = await daemon?.stop();
    await Promise.all([auth?.close(), echo?.close()]);
    expect(code).toBe(0);
  });

  it('echoes 1,000 messages in order, text and binary, then closes on both sides', async () => {
    const ws = new WebSocket(`ws://${daemon.address}/edge/echo`, {
      headers: { ...GOOD, 'x-request-id': 'ws-1000' },
      perMessageDeflate: false,
    });
    onTestFinished(() => ws.terminate());
    await within(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      }),
      5_000,
      'the websocket to open',
    );
    expect(echo.upgrades).toHaveLength(1);
    expect(echo.upgrades[0]).toMatchObject({ 'x-user': 'ann', 'x-request-id': 'ws-1000' });

    const sent = Array.from({ length: 1000 }, (_, i) => message(i));
    const received: Array<[Buffer, boolean]> = [];
    const all = new Promise<void>((resolve) =>
      ws.on('message', (data, isBinary) => {
        received.push([data as Buffer, isBinary]);
        if (received.length === sent.length) resolve();
      }),
    );
    for (const data of sent) ws.send(data, { binary: typeof data !== 'string' });
    await within(all, 10_000, '1,000 echoes');

    expect(received.map(([, isBinary]) => isBinary)).toEqual(sent.map((data) => typeof data !== 'string'));
    expect(received.map(([data, isBinary]) => (isBinary ? data.toString('hex') : data.toString('utf8')))).toEqual(
      sent.map((data) => (typeof data === 'string' ? data : data.toString('hex'))),
    );
    expect(sent.filter((data) => typeof data !== 'string')).toHaveLength(200);

    const clientClosed = new Promise<[number, string]>((resolve) =>
      ws.once('close', (code, reason) => resolve([code, String(reason)])),
    );
    ws.close(1000, 'done');
    expect(await within(clientClosed, 5_000, 'the client to see the close')).toEqual([1000, 'done']);
    expect(await within(echo.closed[0]!, 5_000, 'the echo server to see the close')).toEqual([1000, 'done']);
  });

  it("refuses the upgrade with the auth resource's 401; the echo server sees no connection", async () => {
    const connections = echo.connections;
    const checks = auth.checks;
    const ws = new WebSocket(`ws://${daemon.address}/edge/echo`, { headers: { authorization: 'Bearer stolen' } });
    let opened = false;
    ws.on('open', () => (opened = true));
    const refusal = await within(
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        ws.once('error', reject);
        ws.once('unexpected-response', (req, res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, body });
          });
        });
      }),
      5_000,
      'the refused upgrade',
    );
    expect(refusal.status).toBe(401);
    expect(JSON.parse(refusal.body)).toMatchObject({ status: 401 });
    expect(opened).toBe(false);
    expect(auth.checks).toBe(checks + 1);
    expect(echo.connections).toBe(connections);
    expect(echo.upgrades).toHaveLength(1); // only the first test's
  });
});

/**
 * Proxy flows end to end: the real daemon from HCL, real upstreams on port 0. A proxy
 * checks the caller first, then streams the request to the hub with an added header and
 * a rewritten path; websockets go the same way; two daemons chain (gateway → hub).
 */
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { configDir, daemon as startTestDaemon, upstream as startUpstream, type Upstream } from './helpers.js';

/** An upstream that also echoes websocket messages, prefixed with the path and the X-User it got. */
async function upstream(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Upstream> {
  return startUpstream((req, res, seen) => handler(req, res, seen.body), {
    attach(server) {
      const wss = new WebSocketServer({ server });
      wss.on('connection', (ws, req) =>
        ws.on('message', (data, isBinary) =>
          ws.send(isBinary ? data : `${req.url} ${req.headers['x-user']}: ${String(data)}`, { binary: isBinary }),
        ),
      );
      return () => {
        for (const ws of wss.clients) ws.terminate();
      };
    },
  });
}

/** Writes `files` to a fresh directory and starts the daemon on them; closed after the test. */
async function daemon(files: Record<string, string>, env: Record<string, string>): Promise<string> {
  const dir = configDir(files);
  const { daemon: started } = await startTestDaemon([join(dir, '*.hcl')], env, dir);
  return started.addresses.http!;
}

const GATEWAY = `
http { address = "127.0.0.1:0" }

service "edge" "Auth" {
  transport = "http"
  codec     = "json"
  host      = "$UPSTREAM_AUTH"
  method "Check" {
    options {
      endpoint = "/check"
      method   = "GET"
    }
  }
}

service "edge" "Hub" {
  transport = "http"
  host      = "$UPSTREAM_HUB"
}

endpoint "gateway" "http" {
  endpoint = "/v1/*path"
  method   = "*"
}

proxy "gateway" {
  input {
    header = ["Authorization"]
  }

  resource "auth" {
    request "edge.Auth" "Check" {
      header {
        Authorization = "{{ input.header:Authorization }}"
      }
    }
  }

  forward "edge.Hub" {
    header {
      X-User = "{{ auth:user }}"
    }
  }

  rewrite "/v1/(?P<rest>.*)" "/<rest>" {}
}
`;

const HUB = `
http { address = "127.0.0.1:0" }

service "edge" "Store" {
  transport = "http"
  host      = "$UPSTREAM_STORE"
}

endpoint "hub" "http" {
  endpoint = "/*path"
  method   = "*"
}

proxy "hub" {
  forward "edge.Store" {}
}
`;

async function services(): Promise<{ auth: Upstream; hub: Upstream }> {
  const auth = await upstream((req, res) => {
    if (req.headers.authorization === 'Bearer t')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"user":"ann"}');
    else res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"bad token"}');
  });
  const hub = await upstream((req, res, body) =>
    res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'text/plain', 'x-hub': 'yes' }).end(body),
  );
  return { auth, hub };
}

describe('proxy flows (daemon)', () => {
  it('checks the caller, then forwards with the added header and the rewritten path', async () => {
    const { auth, hub } = await services();
    const address = await daemon({ 'gateway.hcl': GATEWAY }, { UPSTREAM_AUTH: auth.url, UPSTREAM_HUB: hub.url });
    const res = await request(`http://${address}/v1/orders?x=1`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json', 'x-request-id': 'e2e-1' },
      body: '{"sku":"L1","qty":2}',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-hub']).toBe('yes');
    expect(await res.body.json()).toEqual({ sku: 'L1', qty: 2 });
    expect(auth.seen).toMatchObject([
      { method: 'GET', url: '/check', headers: { authorization: 'Bearer t', 'x-request-id': 'e2e-1' } },
    ]);
    expect(hub.seen).toMatchObject([
      {
        method: 'POST',
        url: '/orders?x=1',
        headers: { 'x-user': 'ann', 'x-request-id': 'e2e-1', authorization: 'Bearer t' },
        body: '{"sku":"L1","qty":2}',
      },
    ]);
  });

  it('stops at a failing resource: its error is the answer and nothing is forwarded', async () => {
    const { auth, hub } = await services();
    const address = await daemon({ 'gateway.hcl': GATEWAY }, { UPSTREAM_AUTH: auth.url, UPSTREAM_HUB: hub.url });
    const res = await request(`http://${address}/v1/orders`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope' },
      body: '{}',
    });
    expect(res.statusCode).toBe(401);
    expect(await res.body.json()).toMatchObject({ status: 401 });
    expect(hub.seen).toHaveLength(0);
  });

  it('forwards websockets after the check', async () => {
    const { auth, hub } = await services();
    const address = await daemon({ 'gateway.hcl': GATEWAY }, { UPSTREAM_AUTH: auth.url, UPSTREAM_HUB: hub.url });
    const ws = new WebSocket(`ws://${address}/v1/live`, { headers: { authorization: 'Bearer t' } });
    onTestFinished(() => ws.terminate());
    const answer = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('hello'));
      ws.on('message', (data) => resolve(String(data)));
      ws.on('error', reject);
    });
    expect(answer).toBe('/live ann: hello');
  });

  it('chains instances: gateway → hub → store, one request id all the way', async () => {
    const { auth } = await services();
    const store = await upstream((_req, res, body) =>
      res.writeHead(201, { 'content-type': 'application/json' }).end(body),
    );
    const hubAddress = await daemon({ 'hub.hcl': HUB }, { UPSTREAM_STORE: store.url });
    const gateway = await daemon(
      { 'gateway.hcl': GATEWAY },
      { UPSTREAM_AUTH: auth.url, UPSTREAM_HUB: `http://${hubAddress}` },
    );
    const res = await request(`http://${gateway}/v1/items/9`, {
      method: 'PUT',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json', 'x-request-id': 'chain-1' },
      body: '{"n":1}',
    });
    expect(res.statusCode).toBe(201);
    expect(await res.body.json()).toEqual({ n: 1 });
    expect(store.seen).toHaveLength(1);
    const [seen] = store.seen;
    expect(seen).toMatchObject({
      method: 'PUT',
      url: '/items/9',
      headers: { 'x-user': 'ann', 'x-request-id': 'chain-1' },
    });
    expect(String(seen!.headers['x-forwarded-for']).split(', ')).toHaveLength(2);
  });
});

/**
 * Proxy endpoints of the HTTP listener, against a fake executor and real upstreams:
 * forwarding, rewrites, headers, streaming both ways, failures, websockets.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import pino from 'pino';
import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { codecs } from '../../src/codec/index.js';
import type { FlowPlan, HttpEndpointPlan, RewritePlan } from '../../src/compile/plan.js';
import type { FlowRequest, FlowResult } from '../../src/flow/types.js';
import { rewritePath } from '../../src/transport/http/forward-headers.js';
import { createHttpListener } from '../../src/transport/http/listener.js';
import { Executor } from '../../src/flow/executor.js';
import type { FlowRunner } from '../../src/transport/listener.js';
import { address as listenAt, httpHost, NO_FLOWS, route } from './plan-fixtures.js';

const pos = { file: 'flow.hcl', line: 1, column: 1 };
const json = codecs.get('json')!;

function proxy(path: string, method: string, host: string, rewrites: RewritePlan[] = []): HttpEndpointPlan {
  const flow: FlowPlan = {
    name: 'gateway',
    kind: 'proxy',
    input: { type: undefined, headers: [] },
    nodes: [],
    roots: [],
    pendingTemplate: [],
    output: undefined,
    errors: { onError: undefined, errorObject: undefined },
    forward: {
      service: {
        fullName: 'edge.Hub',
        transport: 'http',
        codec: json,
        host,
        http: httpHost(host),
        grpc: undefined,
        methods: new Map(),
      },
      header: [],
      target: httpHost(host),
    },
    rewrites,
    pos,
  };
  return { protocol: 'http', flow, path, route: route(path), method, codec: json, status: 200, pos };
}

const REST: RewritePlan[] = [{ pattern: /\/v1\/(?<rest>.*)/, replacement: '/$<rest>' }];

/**
 * The real executor with a scripted `run`, so a listener can be tested on its own;
 * everything else (reject, drain) is Maestro's own code.
 */
class FakeExecutor extends Executor implements FlowRunner {
  readonly requests: FlowRequest[] = [];
  constructor(
    public answer: (request: FlowRequest) => FlowResult = () => ({
      ok: true,
      header: { 'X-User': 'ann' },
      body: undefined,
    }),
  ) {
    super({ logger: pino({ level: 'silent' }), plan: NO_FLOWS });
  }
  override async run(_flow: FlowPlan, request: FlowRequest): Promise<FlowResult> {
    this.requests.push(request);
    return this.answer(request);
  }
}

async function start(endpoints: HttpEndpointPlan[], executor: FlowRunner): Promise<string> {
  const listener = createHttpListener({
    config: {
      address: listenAt('127.0.0.1:0'),
      origin: [],
      tls: undefined,
      readTimeoutMs: undefined,
      writeTimeoutMs: undefined,
      bodyLimit: 1024,
    },
    endpoints,
    executor,
    logger: pino({ level: 'silent' }),
  });
  const address = await listener.listen();
  onTestFinished(() => listener.close());
  return address;
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bytes: number;
  body: string;
}

async function upstream(
  answer: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void = echo,
): Promise<{ url: string; seen: Seen[]; port: number }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const record: Seen = { method: req.method!, url: req.url!, headers: req.headers, bytes: 0, body: '' };
    seen.push(record);
    answer(req, res, record);
  });
  const wss = new WebSocketServer({
    server,
    handleProtocols: (offered) => (offered.has('chat') ? 'chat' : false),
    verifyClient: (info: { req: IncomingMessage }) => info.req.url !== '/ws/forbidden',
  });
  wss.on('connection', (ws, req) => {
    if (req.url === '/ws/close') {
      ws.close(4001, 'bye');
      return;
    }
    ws.on('message', (data, isBinary) =>
      ws.send(isBinary ? data : `echo:${String(data)}|${req.url}|${req.headers['x-user']}`, { binary: isBinary }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, seen, port };
}

/** Streams the request back, counting bytes, with the request's content type. */
function echo(req: IncomingMessage, res: ServerResponse, seen: Seen): void {
  res.writeHead(200, {
    'content-type': req.headers['content-type'] ?? 'application/octet-stream',
    'x-upstream': 'hub',
    connection: 'keep-alive, x-secret',
    'x-secret': 'hop',
  });
  req.on('data', (chunk: Buffer) => {
    seen.bytes += chunk.length;
    if (seen.body.length < 256) seen.body += chunk.toString('utf8');
  });
  req.pipe(res);
}

function rawRequest(
  address: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('http proxy', () => {
  it('runs the flow, then forwards method, rewritten path, query, headers and body, streaming the answer back', async () => {
    const hub = await upstream();
    const executor = new FakeExecutor();
    const address = await start([proxy('/v1/*path', 'POST', hub.url, REST)], executor);
    // node:http, because undici will not send a Connection header naming other headers
    const res = await rawRequest(
      address,
      'POST',
      '/v1/orders?x=1',
      {
        'content-type': 'application/json',
        authorization: 'Bearer t',
        'x-request-id': 'r-9',
        'x-forwarded-for': '10.0.0.1',
        connection: 'keep-alive, x-drop',
        'x-drop': 'secret',
        'proxy-authorization': 'p',
      },
      '{"sku":"L1","qty":2}',
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ sku: 'L1', qty: 2 });
    expect(res.headers['x-upstream']).toBe('hub');
    expect(res.headers['x-secret']).toBeUndefined();
    expect(res.headers['x-request-id']).toBe('r-9');

    expect(executor.requests[0]).toMatchObject({ input: {}, params: { path: '/orders', x: '1' }, requestId: 'r-9' });
    const [seen] = hub.seen;
    expect(seen).toMatchObject({ method: 'POST', url: '/orders?x=1' });
    expect(seen!.headers).toMatchObject({
      authorization: 'Bearer t',
      'x-user': 'ann',
      'x-request-id': 'r-9',
      'x-forwarded-for': '10.0.0.1, 127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': address,
      host: new URL(hub.url).host,
    });
    expect(seen!.headers['x-drop']).toBeUndefined();
    expect(seen!.headers['proxy-authorization']).toBeUndefined();
  });

  it('streams bodies far over the body limit without buffering them', async () => {
    const hub = await upstream();
    const address = await start([proxy('/v1/*path', '*', `${hub.url}/base/`, REST)], new FakeExecutor());
    const size = 8 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const body = Readable.from(
      (function* () {
        for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
      })(),
    );
    const res = await request(`http://${address}/v1/upload`, {
      method: 'PUT',
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    let received = 0;
    for await (const part of res.body) received += (part as Buffer).length;
    expect(res.statusCode).toBe(200);
    expect(received).toBe(size);
    expect(hub.seen[0]!.bytes).toBe(size);
    expect(hub.seen[0]!.url).toBe('/base/upload');
  });

  it('forwards a body with a content-length over the body limit and no content-type', async () => {
    const hub = await upstream();
    const address = await start([proxy('/v1/*path', 'POST', hub.url, REST)], new FakeExecutor());
    const body = 'x'.repeat(5000);
    const res = await rawRequest(address, 'POST', '/v1/big', { 'content-length': String(body.length) }, body);
    expect(res.status).toBe(200);
    expect(res.body).toBe(body);
    expect(hub.seen[0]!.headers['content-length']).toBe('5000');
  });

  it('answers the flow failure and does not forward', async () => {
    const hub = await upstream();
    const executor = new FakeExecutor(() => ({
      ok: false,
      status: 401,
      message: 'who are you',
      body: { status: 401, message: 'who are you' },
      header: {},
    }));
    const address = await start([proxy('/v1/*path', 'POST', hub.url, REST)], executor);
    const res = await request(`http://${address}/v1/orders`, { method: 'POST', body: '{}' });
    expect(res.statusCode).toBe(401);
    expect(await res.body.json()).toEqual({ status: 401, message: 'who are you' });
    expect(hub.seen).toHaveLength(0);
  });

  it('answers 502 when the target refuses, and keeps serving after a reset mid-stream', async () => {
    const refused = await start([proxy('/v1/*path', 'GET', 'http://127.0.0.1:1', REST)], new FakeExecutor());
    const res = await request(`http://${refused}/v1/x`);
    expect(res.statusCode).toBe(502);
    expect(await res.body.json()).toMatchObject({ status: 502, message: expect.stringContaining('edge.Hub') });

    const hub = await upstream((req, res) => {
      if (req.url === '/ok') return void res.end('fine');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const address = await start([proxy('/v1/*path', 'GET', hub.url, REST)], new FakeExecutor());
    const broken = await request(`http://${address}/v1/reset`);
    expect(broken.statusCode).toBe(200);
    await expect(broken.body.text()).rejects.toThrow();
    const ok = await request(`http://${address}/v1/ok`);
    expect(await ok.body.text()).toBe('fine');
  });

  it('relays statuses without a body (HEAD, 204, 304), repeated headers and the upstream request id as they are', async () => {
    const hub = await upstream((req, res) => {
      const status = Number(req.url!.slice(1)) || 200;
      const headers: Record<string, string | string[]> = {
        'set-cookie': ['a=1', 'b=2'],
        'x-request-id': 'from-hub',
      };
      if (req.method === 'HEAD') headers['content-length'] = '42';
      res.writeHead(status, headers);
      res.end(status === 404 ? 'missing' : undefined);
    });
    const address = await start([proxy('/v1/*path', '*', hub.url, REST)], new FakeExecutor());
    const head = await rawRequest(address, 'HEAD', '/v1/thing', { 'x-request-id': 'mine' }, '');
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe('42');
    expect(head.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    // The upstream's id wins over ours, as a header the upstream sets always did.
    expect(head.headers['x-request-id']).toBe('from-hub');
    for (const status of [204, 304]) {
      const res = await rawRequest(address, 'GET', `/v1/${status}`, {}, '');
      expect(res).toMatchObject({ status, body: '' });
    }
    const missing = await rawRequest(address, 'GET', '/v1/404', {}, '');
    expect(missing).toMatchObject({ status: 404, body: 'missing' });
    // Keep-alive both ways: the client's four requests above travelled on their own
    // connections, the hub saw them all.
    expect(hub.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['HEAD /thing', 'GET /204', 'GET /304', 'GET /404']);

    // A request the HTTP client refuses to forward (undici sends no `expect`) is a 502, not a hang.
    const refused = await rawRequest(address, 'GET', '/v1/expect', { expect: '100-continue' }, '');
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.body)).toMatchObject({ status: 502 });
    expect(hub.seen).toHaveLength(4);
  });

  it('aborts the upstream request when the client goes away', async () => {
    let upstreamClosed: Promise<void> = Promise.resolve();
    const hub = await upstream((_req, res) => {
      upstreamClosed = new Promise((resolve) => res.on('close', () => resolve()));
      res.writeHead(200);
      res.write('start');
    });
    const address = new URL(`http://${await start([proxy('/v1/*path', 'GET', hub.url, REST)], new FakeExecutor())}`);
    await new Promise<void>((resolve) => {
      const client = httpRequest({ host: address.hostname, port: address.port, path: '/v1/stream' }, (res) => {
        res.once('data', () => {
          client.destroy();
          resolve();
        });
      });
      client.on('error', () => {});
      client.end();
    });
    await upstreamClosed;
    expect(hub.seen).toHaveLength(1);
  });
});

describe('rewrite rules', () => {
  it('applies the first matching rule only and leaves unmatched paths alone', () => {
    const rules: RewritePlan[] = [
      { pattern: /^\/v1\/users\/(?<id>[^/]+)$/, replacement: '/people/$<id>' },
      { pattern: /^\/v1\/(?<rest>.*)$/g, replacement: '/$<rest>' },
    ];
    expect(rewritePath('/v1/users/7', rules)).toBe('/people/7');
    expect(rewritePath('/v1/orders/1', rules)).toBe('/orders/1');
    expect(rewritePath('/v1/orders/2', rules)).toBe('/orders/2'); // a /g rule keeps no state
    expect(rewritePath('/v2/x', rules)).toBe('/v2/x');
  });
});

describe('websocket proxy', () => {
  function connect(url: string, protocols: string[] = []): Promise<WebSocket> {
    const ws = new WebSocket(url, protocols);
    onTestFinished(() => ws.terminate());
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }

  it('bridges messages both ways, keeping text, binary, order and the subprotocol', async () => {
    const hub = await upstream();
    const address = await start([proxy('/v1/*path', '*', hub.url, REST)], new FakeExecutor());
    const ws = await connect(`ws://${address}/v1/ws/chat?room=1`, ['chat']);
    expect(ws.protocol).toBe('chat');
    const received: Array<[string, boolean]> = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (data, isBinary) => {
        received.push([isBinary ? Buffer.from(data as Buffer).toString('hex') : String(data), isBinary]);
        if (received.length === 3) resolve();
      }),
    );
    ws.send('one');
    ws.send(Buffer.from([1, 2, 3]));
    ws.send('two');
    await done;
    expect(received).toEqual([
      ['echo:one|/ws/chat?room=1|ann', false],
      ['010203', true],
      ['echo:two|/ws/chat?room=1|ann', false],
    ]);
  });

  it('propagates the close code of the target', async () => {
    const hub = await upstream();
    const address = await start([proxy('/v1/*path', 'GET', hub.url, REST)], new FakeExecutor());
    const ws = await connect(`ws://${address}/v1/ws/close`);
    const [code, reason] = await new Promise<[number, string]>((resolve) =>
      ws.on('close', (c, r) => resolve([c, String(r)])),
    );
    expect([code, reason]).toEqual([4001, 'bye']);
  });

  it('answers refusals, unknown paths and dead targets with plain HTTP errors', async () => {
    const hub = await upstream();
    const refusing = new FakeExecutor(() => ({
      ok: false,
      status: 403,
      message: 'no',
      body: { status: 403, message: 'no' },
      header: {},
    }));
    const address = await start([proxy('/v1/*path', 'GET', hub.url, REST)], refusing);
    const status = (url: string): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => resolve(-1));
      });
    expect(await status(`ws://${address}/v1/ws`)).toBe(403);
    expect(await status(`ws://${address}/elsewhere`)).toBe(404);
    const open = await start([proxy('/v1/*path', 'GET', hub.url, REST)], new FakeExecutor());
    expect(await status(`ws://${open}/v1/ws/forbidden`)).toBe(401); // the target's refusal is relayed
    const dead = await start([proxy('/v1/*path', 'GET', 'http://127.0.0.1:1', REST)], new FakeExecutor());
    expect(await status(`ws://${dead}/v1/ws`)).toBe(502);
    expect(hub.seen).toHaveLength(0);
  });
});

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { JsonCodec } from '../../src/codec/json.js';
import type { CallPlan, MethodPlan, OutgoingCall, ServicePlan } from '../../src/compile/plan.js';
import { CallError } from '../../src/errors.js';
import type { Caller } from '../../src/transport/caller.js';
import { createHttpCaller } from '../../src/transport/http/caller.js';
import { httpHost, target } from './plan-fixtures.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  remotePort: number | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real upstream on 127.0.0.1:0 that records what it received; closed after the test. */
async function upstream(
  handler: Handler = (_req, res) => json(res, 200, { ok: true }),
): Promise<{ url: string; seen: Seen[]; sockets: Set<Socket> }> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, remotePort: req.socket.remotePort });
      handler(req, res, body);
    });
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, sockets };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

function caller(): Caller {
  const c = createHttpCaller();
  onTestFinished(() => c.close());
  return c;
}

function plan(host: string, method: Partial<MethodPlan>, extra: Partial<CallPlan> = {}): CallPlan {
  const methodPlan: MethodPlan = { name: 'Get', options: {}, ...method };
  const service: ServicePlan = {
    fullName: 'shop.Users',
    transport: 'http',
    codec: new JsonCodec(),
    host,
    http: httpHost(host),
    grpc: undefined,
    methods: new Map([[methodPlan.name, methodPlan]]),
  };
  return {
    service,
    method: methodPlan,
    body: undefined,
    header: [],
    params: [],
    timeoutMs: undefined,
    http: target(host, methodPlan.httpPath),
    pos: { file: 'flow.hcl', line: 1, column: 1 },
    ...extra,
  };
}

function call(partial: Partial<OutgoingCall> = {}): OutgoingCall {
  return { body: undefined, params: {}, headers: {}, requestId: 'req-1', ...partial };
}

const never = new AbortController().signal;

async function callError(promise: Promise<unknown>): Promise<CallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CallError);
  return error as CallError;
}

describe('http caller', () => {
  it('fills path params from params, sends the rest as query, no body on GET, headers and request id', async () => {
    const up = await upstream((_req, res) => {
      res.setHeader('x-trace', ['a', 'b']);
      json(res, 200, { id: 7, name: 'Ann' });
    });
    const invoke = caller().prepare(plan(up.url, { httpMethod: 'GET', httpPath: '/users/:id/items' }));
    const result = await invoke(
      call({
        params: { id: 'a b/c', page: '2', q: 'x&y' },
        headers: { Authorization: 'Bearer t' },
        body: { ignored: true },
      }),
      never,
    );

    expect(result.status).toBe(200);
    expect(result.body).toEqual({ id: 7, name: 'Ann' });
    expect(result.headers['x-trace']).toBe('a, b');
    expect(result.headers['content-type']).toBe('application/json');
    const [seen] = up.seen;
    expect(seen!.method).toBe('GET');
    expect(seen!.url).toBe('/users/a%20b%2Fc/items?page=2&q=x%26y');
    expect(seen!.body).toBe('');
    expect(seen!.headers['content-type']).toBeUndefined();
    expect(seen!.headers.authorization).toBe('Bearer t');
    expect(seen!.headers['x-request-id']).toBe('req-1');
    expect(seen!.headers.accept).toBe('application/json');
  });

  it('takes a missing path param from the body, which then leaves the body (without mutating it)', async () => {
    const up = await upstream();
    const invoke = caller().prepare(plan(up.url, { httpMethod: 'PUT', httpPath: '/users/:id' }));
    const body = { id: 42, name: 'Ann' };
    await invoke(call({ body }), never);

    expect(up.seen[0]!.url).toBe('/users/42');
    expect(JSON.parse(up.seen[0]!.body)).toEqual({ name: 'Ann' });
    expect(up.seen[0]!.headers['content-type']).toBe('application/json');
    expect(body).toEqual({ id: 42, name: 'Ann' });
  });

  it('prefers params over a body field of the same name, and keeps that field', async () => {
    const up = await upstream();
    const invoke = caller().prepare(plan(up.url, { httpMethod: 'POST', httpPath: '/users/:id' }));
    await invoke(call({ params: { id: '1' }, body: { id: 2 } }), never);
    expect(up.seen[0]!.url).toBe('/users/1');
    expect(JSON.parse(up.seen[0]!.body)).toEqual({ id: 2 });
  });

  it('joins the base URL path prefix and tolerates a trailing slash', async () => {
    const up = await upstream();
    const c = caller();
    await c.prepare(plan(`${up.url}/`, { httpMethod: 'GET', httpPath: '/todos/1' }))(call(), never);
    await c.prepare(plan(`${up.url}/api/v2/`, { httpMethod: 'GET', httpPath: '/todos/:id' }))(
      call({ params: { id: '3' } }),
      never,
    );
    await c.prepare(plan(`${up.url}/api`, {}))(call(), never);
    expect(up.seen.map((s) => s.url)).toEqual(['/todos/1', '/api/v2/todos/3', '/api']);
  });

  it('defaults to POST with a body when a body exists, GET otherwise; DELETE sends no body', async () => {
    const up = await upstream();
    const c = caller();
    await c.prepare(plan(up.url, { httpPath: '/a' }, { body: () => ({}) }))(call({ body: { x: 1 } }), never);
    await c.prepare(plan(up.url, { httpPath: '/b' }))(call(), never);
    await c.prepare(plan(up.url, { httpPath: '/c', httpMethod: 'DELETE' }))(call({ body: { x: 1 } }), never);
    expect(up.seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/a', '{"x":1}'],
      ['GET', '/b', ''],
      ['DELETE', '/c', ''],
    ]);
  });

  it('returns a non-2xx answer as a result, body decoded or raw text', async () => {
    const up = await upstream((req, res) => {
      if (req.url === '/json') json(res, 404, { message: 'no such user' });
      else res.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
    });
    const c = caller();
    const notFound = await c.prepare(plan(up.url, { httpMethod: 'GET', httpPath: '/json' }))(call(), never);
    expect(notFound).toMatchObject({ status: 404, body: { message: 'no such user' } });
    const down = await c.prepare(plan(up.url, { httpMethod: 'GET', httpPath: '/text' }))(call(), never);
    expect(down).toMatchObject({ status: 503, body: 'down for maintenance' });
  });

  it('fails with 502 on a 2xx body that does not decode; an empty 2xx body is {}', async () => {
    const up = await upstream((req, res) => {
      if (req.url === '/empty') res.writeHead(204).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"broken":');
    });
    const c = caller();
    const error = await callError(c.prepare(plan(up.url, { httpMethod: 'GET', httpPath: '/bad' }))(call(), never));
    expect(error.status).toBe(502);
    expect(error.message).toContain('shop.Users.Get');
    const empty = await c.prepare(plan(up.url, { httpMethod: 'GET', httpPath: '/empty' }))(call(), never);
    expect(empty).toMatchObject({ status: 204, body: {} });
  });

  it('times out with 504 after the call plan timeout', async () => {
    // The upstream holds its answer until the test ends: only the timeout can end the call.
    const held: ServerResponse[] = [];
    const up = await upstream((_req, res) => void held.push(res));
    onTestFinished(() => held.forEach((res) => json(res, 200, {})));
    const invoke = caller().prepare(plan(up.url, { httpMethod: 'GET', httpPath: '/slow' }, { timeoutMs: 50 }));
    const error = await callError(invoke(call(), never));
    expect(error.status).toBe(504);
    expect(error.message).toBe('upstream shop.Users.Get timed out after 50ms');
    expect(held).toHaveLength(1);
    expect(held[0]!.writableEnded).toBe(false);
  });

  it('fails with 502 naming the service when the connection is refused or reset', async () => {
    const c = caller();
    const refused = await callError(
      c.prepare(plan('http://user:secret@127.0.0.1:1', { httpMethod: 'GET', httpPath: '/x' }))(call(), never),
    );
    expect(refused.status).toBe(502);
    expect(refused.message).toMatch(/^upstream shop\.Users\.Get failed: connection refused/);
    expect(refused.message).not.toContain('secret');

    const reset = await upstream((req) => req.socket.destroy());
    const error = await callError(c.prepare(plan(reset.url, { httpMethod: 'GET', httpPath: '/x' }))(call(), never));
    expect(error.status).toBe(502);
    expect(error.message).toContain('shop.Users.Get');
  });

  it('answers 499 MAESTRO_ERR_ABORTED when the client signal aborts', async () => {
    // The client goes away once the upstream has the request, which never answers it.
    const controller = new AbortController();
    const held: ServerResponse[] = [];
    const up = await upstream((_req, res) => {
      held.push(res);
      controller.abort();
    });
    onTestFinished(() => held.forEach((res) => json(res, 200, {})));
    const invoke = caller().prepare(plan(up.url, { httpMethod: 'GET', httpPath: '/slow' }, { timeoutMs: 5000 }));
    const pending = invoke(call(), controller.signal);
    const error = await callError(pending);
    expect(error.status).toBe(499);
    expect(error.code).toBe('MAESTRO_ERR_ABORTED');

    const already = await callError(invoke(call(), controller.signal));
    expect(already.status).toBe(499);
  });

  it('sends basic credentials from the host URL', async () => {
    const up = await upstream();
    const host = up.url.replace('http://', 'http://ann:p%40ss@');
    await caller().prepare(plan(host, { httpMethod: 'GET', httpPath: '/x' }))(call(), never);
    expect(up.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('ann:p@ss').toString('base64')}`);
  });

  it('reuses keep-alive connections for sequential calls', async () => {
    const up = await upstream();
    const c = caller();
    const get = c.prepare(plan(up.url, { httpMethod: 'GET', httpPath: '/users/:id' }));
    const post = c.prepare(plan(up.url, { name: 'Create', httpMethod: 'POST', httpPath: '/users' }));
    for (let i = 0; i < 5; i++) {
      await get(call({ params: { id: String(i) } }), never);
      await new Promise((resolve) => setImmediate(resolve));
      await post(call({ body: { i } }), never);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(up.seen).toHaveLength(10);
    expect(up.sockets.size).toBe(1);

    // Back to back, undici marks a connection free on the next tick, so a call issued in
    // the same microtask run takes a second one; still two sockets for ten calls, not ten.
    for (let i = 0; i < 10; i++) await get(call({ params: { id: String(i) } }), never);
    expect(up.seen).toHaveLength(20);
    expect(up.sockets.size).toBeLessThanOrEqual(2);
  });

  it('follows a redirect to the final answer; a 3xx without Location is the answer', async () => {
    const up = await upstream((req, res) => {
      if (req.url === '/old') res.writeHead(301, { location: '/new' }).end();
      else if (req.url === '/nowhere') res.writeHead(302).end();
      else json(res, 200, { at: req.url });
    });
    const c = caller();
    const moved = await c.prepare(plan(up.url, { httpMethod: 'GET', httpPath: '/old' }))(call(), never);
    expect(moved).toMatchObject({ status: 200, body: { at: '/new' } });
    const nowhere = await c.prepare(plan(up.url, { httpMethod: 'GET', httpPath: '/nowhere' }))(call(), never);
    expect(nowhere.status).toBe(302);
    expect(up.seen.map((s) => s.url)).toEqual(['/old', '/new', '/nowhere']);
  });

  it('rejects without calling when the signal has aborted already or the body cannot be encoded', async () => {
    const up = await upstream();
    const c = caller();
    const controller = new AbortController();
    controller.abort();
    const get = c.prepare(plan(up.url, { httpMethod: 'GET', httpPath: '/users' }));
    const aborted = await callError(get(call(), controller.signal));
    expect(aborted.status).toBe(499);
    const post = c.prepare(plan(up.url, { httpMethod: 'POST', httpPath: '/users' }));
    const cyclic: Record<string, unknown> = { n: 1 };
    cyclic.self = cyclic;
    const unencodable = await callError(post(call({ body: cyclic }), never));
    expect(unencodable.status).toBe(500);
    expect(up.seen).toHaveLength(0);
  });

  it('fails with 502 naming the limit when an answer is over max_response_size', async () => {
    const up = await upstream((_req, res) => json(res, 200, { big: 'x'.repeat(2000) }));
    const c = caller();
    const get = c.prepare(plan(up.url, { httpMethod: 'GET', httpPath: '/big' }, { maxResponseBytes: 100 }));
    const error = await callError(get(call(), never));
    expect(error.status).toBe(502);
  });
});

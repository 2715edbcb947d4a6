/**
 * The HTTP listener against a fake executor: routing, body decoding, parameters, request
 * ids, answers and errors, CORS and probes. The executor itself is tested elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Agent, request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { codecs } from '../../src/codec/index.js';
import type { FlowPlan, HttpEndpointPlan, HttpListenerPlan } from '../../src/compile/plan.js';
import type { FlowRequest, FlowResult } from '../../src/flow/types.js';
import { createHttpListener } from '../../src/transport/http/listener.js';
import { Executor } from '../../src/flow/executor.js';
import type { FlowRunner } from '../../src/transport/listener.js';
import { address as listenAt, NO_FLOWS, route } from './plan-fixtures.js';
import { selfSignedCertificate } from '../fixtures/tls/certificate.js';

const pos = { file: 'flow.hcl', line: 1, column: 1 };

function flowPlan(name: string): FlowPlan {
  return {
    name,
    kind: 'flow',
    input: { type: undefined, headers: [] },
    nodes: [],
    roots: [],
    pendingTemplate: [],
    output: undefined,
    errors: { onError: undefined, errorObject: undefined },
    forward: undefined,
    rewrites: [],
    pos,
  };
}

function endpoint(path: string, method: string, extra: Partial<HttpEndpointPlan> = {}): HttpEndpointPlan {
  return {
    protocol: 'http',
    flow: flowPlan(path),
    path,
    route: route(path),
    method,
    codec: codecs.get('json')!,
    status: 200,
    pos,
    ...extra,
  };
}

/**
 * The real executor with a scripted `run`, so a listener can be tested on its own;
 * everything else (reject, drain) is Maestro's own code.
 */
class FakeExecutor extends Executor implements FlowRunner {
  readonly requests: FlowRequest[] = [];
  constructor(
    public answer: (request: FlowRequest) => FlowResult | Promise<FlowResult> = () => ({
      ok: true,
      header: {},
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

async function start(
  endpoints: HttpEndpointPlan[],
  executor: FlowRunner,
  config: Partial<HttpListenerPlan> = {},
  ready?: () => boolean,
): Promise<string> {
  const listener = createHttpListener({
    config: {
      address: listenAt('127.0.0.1:0'),
      origin: [],
      tls: undefined,
      readTimeoutMs: undefined,
      writeTimeoutMs: undefined,
      bodyLimit: undefined,
      ...config,
    },
    endpoints,
    executor,
    logger: pino({ level: 'silent' }),
    ready,
  });
  const address = await listener.listen();
  onTestFinished(() => listener.close());
  return `http://${address}`;
}

async function send(
  url: string,
  options: Parameters<typeof request>[1] = {},
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const res = await request(url, options);
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

describe('http listener', () => {
  it('decodes the body, merges path and query params, keeps the request id, answers the output', async () => {
    const executor = new FakeExecutor(() => ({ ok: true, header: { 'x-served-by': 'maestro' }, body: { id: 7 } }));
    const base = await start([endpoint('/users/:id', 'POST', { status: 201 })], executor);
    const res = await send(`${base}/users/42?id=9&page=2&page=3`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'abc-1', authorization: 'Bearer t' },
      body: '{"name":"Ann"}',
    });
    expect(res.status).toBe(201);
    expect(JSON.parse(res.text)).toEqual({ id: 7 });
    expect(res.headers['x-served-by']).toBe('maestro');
    expect(res.headers['x-request-id']).toBe('abc-1');
    expect(res.headers['content-type']).toContain('application/json');
    const [seen] = executor.requests;
    expect(seen!.input).toEqual({ name: 'Ann' });
    expect(seen!.params).toEqual({ id: '42', page: '2' });
    expect(seen!.header.authorization).toBe('Bearer t');
    expect(seen!.requestId).toBe('abc-1');
  });

  it('makes a request id when none came, ignores GET bodies and answers {} for no output', async () => {
    const executor = new FakeExecutor();
    const base = await start([endpoint('/status', 'GET')], executor);
    const res = await send(`${base}/status`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{}');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(executor.requests[0]!.input).toEqual({});
  });

  it('answers 400 naming the problem for a malformed body, without running the flow', async () => {
    const executor = new FakeExecutor();
    const base = await start([endpoint('/users', 'POST')], executor);
    const res = await send(`${base}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "Ann", ',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ status: 400 });
    expect(executor.requests).toHaveLength(0);
    // the daemon keeps serving
    const ok = await send(`${base}/users`, { method: 'POST', body: '{"name":"Ann"}' });
    expect(ok.status).toBe(200);
    expect(executor.requests[0]!.input).toEqual({ name: 'Ann' });
  });

  it('answers a failed flow with its status, error object and headers', async () => {
    const executor = new FakeExecutor(() => ({
      ok: false,
      status: 409,
      message: 'out of stock',
      body: { code: 'STOCK', message: 'out of stock' },
      header: { 'retry-after': '5' },
    }));
    const base = await start([endpoint('/buy', 'POST')], executor);
    const res = await send(`${base}/buy`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(409);
    expect(JSON.parse(res.text)).toEqual({ code: 'STOCK', message: 'out of stock' });
    expect(res.headers['retry-after']).toBe('5');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const base = await start([endpoint('/a', 'GET')], new FakeExecutor());
    const res = await send(`${base}/x?y=1`);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text)).toEqual({ status: 404, message: 'no endpoint for GET /x' });
  });

  it('routes Semaphore wildcards and method "*"', async () => {
    const executor = new FakeExecutor();
    const base = await start([endpoint('/v1/*path', '*')], executor);
    expect((await send(`${base}/v1/a/b`, { method: 'PUT', body: '{}' })).status).toBe(200);
    expect((await send(`${base}/v1/c`, { method: 'DELETE' })).status).toBe(200);
    expect(executor.requests.map((r) => r.params.path)).toEqual(['/a/b', '/c']);
  });

  it('serves /healthz and /readyz', async () => {
    let ready = false;
    const base = await start([], new FakeExecutor(), {}, () => ready);
    expect(await send(`${base}/healthz`)).toMatchObject({ status: 200, text: '{"status":"ok"}' });
    expect((await send(`${base}/readyz`)).status).toBe(503);
    ready = true;
    expect((await send(`${base}/readyz`)).status).toBe(200);
  });

  it('answers CORS preflights and sets the allowed origin', async () => {
    const base = await start([endpoint('/a', 'POST')], new FakeExecutor(), { origin: ['https://app.example'] });
    const preflight = await send(`${base}/a`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toBe('content-type');
    const simple = await send(`${base}/a`, { method: 'POST', headers: { origin: 'https://app.example' }, body: '{}' });
    expect(simple.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await send(`${base}/a`, { method: 'POST', headers: { origin: 'https://evil.example' }, body: '{}' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers 413 as JSON for a body over the limit', async () => {
    const executor = new FakeExecutor();
    const base = await start([endpoint('/a', 'POST')], executor, { bodyLimit: 1024 });
    const res = await send(`${base}/a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x: 'y'.repeat(4096) }),
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text)).toMatchObject({ status: 413 });
    expect(res.text).not.toContain('at ');
    expect(executor.requests).toHaveLength(0);
  });

  it('answers 500 without a stack when the output cannot be encoded', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const base = await start(
      [endpoint('/a', 'GET')],
      new FakeExecutor(() => ({ ok: true, header: {}, body: circular })),
    );
    const res = await send(`${base}/a`);
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text)).toEqual({ status: 500, message: 'internal error' });
  });

  it('answers 500 when an output header value is not a valid header', async () => {
    const base = await start(
      [endpoint('/a', 'GET')],
      new FakeExecutor(() => ({ ok: true, header: { 'x-bad': 'a\r\nb' }, body: {} })),
    );
    const res = await send(`${base}/a`);
    expect(res.status).toBe(500);
    expect((await send(`${base}/healthz`)).status).toBe(200);
  });

  it.skipIf(!hasOpenssl())('serves HTTPS when cert_file and key_file are set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maestro-tls-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const { cert, key } = selfSignedCertificate(dir);
    const base = await start(
      [endpoint('/a', 'GET')],
      new FakeExecutor(() => ({ ok: true, header: {}, body: { tls: true } })),
      { tls: { cert: cert.toString('utf8'), key: key.toString('utf8') } },
    );
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
    onTestFinished(() => dispatcher.close());
    const res = await send(base.replace('http:', 'https:') + '/a', { dispatcher });
    expect(res).toMatchObject({ status: 200, text: '{"tls":true}' });
  });

  it('aborts the request signal when the client goes away', async () => {
    let running!: () => void;
    const started = new Promise<void>((resolve) => (running = resolve));
    let aborted!: () => void;
    const abortSeen = new Promise<void>((resolve) => (aborted = resolve));
    const executor = new FakeExecutor((req) => {
      running();
      return new Promise((resolve) =>
        req.signal.addEventListener('abort', () => {
          aborted();
          resolve({ ok: false, status: 499, message: 'gone', body: undefined, header: {} });
        }),
      );
    });
    const base = new URL(await start([endpoint('/slow', 'GET')], executor));
    const client = httpRequest({ host: base.hostname, port: base.port, path: '/slow' });
    client.on('error', () => {});
    client.end();
    // The flow is running; then the client goes away, and the flow's signal must abort.
    await started;
    client.destroy();
    await withTimeout(abortSeen, 5_000, 'the request signal was not aborted within 5 s of the client leaving');
    expect(executor.requests[0]!.signal.aborted).toBe(true);
  });
});

/** Waits for `promise`, failing with `what` after `ms` (a bound, not a measurement). */
async function withTimeout(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  try {
    await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

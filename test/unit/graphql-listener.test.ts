import { buildSchema } from 'graphql';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentCache } from '../../src/transport/graphql/documents.js';
import { createGraphqlListener, type GraphqlListener } from '../../src/transport/graphql/listener.js';
import { Int64Scalar, toInt64 } from '../../src/transport/graphql/scalars.js';
import { endpoint, FakeRunner, flowPlan, loadFixtureSchemas, message } from './graphql-helpers.js';
import { address } from './plan-fixtures.js';

describe('Int64', () => {
  it('keeps safe integers as numbers and bigger ones as exact bigints', () => {
    expect(toInt64('42')).toBe(42);
    expect(toInt64('9007199254740993')).toBe(9007199254740993n);
    expect(toInt64('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(toInt64('18446744073709551615')).toBe(2n ** 64n - 1n);
    expect(toInt64('18446744073709551616')).toBeUndefined();
    expect(toInt64(1.5)).toBeUndefined();
    expect(toInt64('12abc')).toBeUndefined();
  });

  it('serialises numbers, bigints and decimal strings; refuses the rest', () => {
    expect(Int64Scalar.serialize('7')).toBe(7);
    expect(Int64Scalar.serialize(2n ** 62n)).toBe(2n ** 62n);
    expect(() => Int64Scalar.serialize('seven')).toThrow(/Int64 cannot represent "seven"/);
  });
});

describe('DocumentCache', () => {
  const schema = buildSchema('type Query { a: String b: String }');

  it('parses and validates a query once, and caches errors too', () => {
    const cache = new DocumentCache(schema, 2);
    const first = cache.prepare('{ a }');
    expect(first.errors).toBeUndefined();
    expect(cache.prepare('{ a }').document).toBe(first.document);
    const bad = cache.prepare('{ nope }');
    expect(bad.errors?.[0]?.message).toMatch(/Cannot query field "nope"/);
    expect(cache.prepare('{ nope }')).toBe(bad);
    expect(cache.prepare('{').errors?.[0]?.message).toMatch(/Syntax Error/);
  });

  it('evicts the least recently used entry', () => {
    const cache = new DocumentCache(schema, 2);
    const a = cache.prepare('{ a }');
    cache.prepare('{ b }');
    cache.prepare('{ a }');
    cache.prepare('{ a b }');
    expect(cache.size).toBe(2);
    expect(cache.prepare('{ a }')).toBe(a);
  });
});

describe('GraphQL listener over HTTP', () => {
  let aborted: boolean | undefined;
  const runner = new FakeRunner(async (_flow, request) => {
    if (request.input.id === 'slow') {
      // Held until the client goes away (or a second passes): the signal must fire.
      aborted = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 1000);
        request.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    }
    return { ok: true, header: {}, body: { id: request.input.id === 'big' ? 2n ** 53n + 1n : 7, name: 'Ann' } };
  });
  let listener: GraphqlListener;
  let base: string;

  beforeAll(async () => {
    const registry = await loadFixtureSchemas();
    const flow = flowPlan('get_user', message(registry, 'users.UserQuery'), message(registry, 'users.User'));
    listener = createGraphqlListener({
      address: address('127.0.0.1:0'),
      endpoints: [endpoint(flow, 'user.get')],
      executor: runner,
      logger: pino({ level: 'silent' }),
    });
    base = `http://${await listener.listen()}`;
  });
  afterAll(() => listener?.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal,
    });

  it('answers POST on /graphql and /, passing headers and the request id to the flow', async () => {
    for (const path of ['/graphql', '/']) {
      const res = await post(
        path,
        { query: '{ user { get(id: "big") { id name } } }' },
        { 'x-request-id': 'req-42', authorization: 'Bearer t' },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.text()).toBe('{"data":{"user":{"get":{"id":9007199254740993,"name":"Ann"}}}}');
    }
    const last = runner.requests.at(-1)!.request;
    expect(last.requestId).toBe('req-42');
    expect(last.header.authorization).toBe('Bearer t');
    expect(last.input).toEqual({ id: 'big' });
  });

  it('answers GET queries and honours application/graphql-response+json', async () => {
    const query = encodeURIComponent('{ user { get(id: "1") { name } } }');
    const res = await fetch(`${base}/graphql?query=${query}`, {
      headers: { accept: 'application/graphql-response+json' },
    });
    expect(res.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
    expect(await res.json()).toEqual({ data: { user: { get: { name: 'Ann' } } } });
  });

  it('reports validation errors without running a flow', async () => {
    const before = runner.requests.length;
    const res = await post('/graphql', { query: '{ user { get(id: 1, nope: 2) { name } } }' });
    const body = (await res.json()) as { errors: Array<{ message: string }> };
    expect(body.errors.map((e) => e.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/Unknown argument "nope"/)]),
    );
    expect(runner.requests.length).toBe(before);
  });

  it('aborts the flow signal when the client disconnects', async () => {
    const client = new AbortController();
    const pending = post('/graphql', { query: '{ user { get(id: "slow") { name } } }' }, {}, client.signal);
    await expect.poll(() => runner.requests.some((r) => r.request.input.id === 'slow')).toBe(true);
    client.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => aborted).toBe(true);
  });

  it('serves GraphiQL and its assets to a browser, from local files', async () => {
    for (const path of ['/graphql', '/']) {
      const res = await fetch(base + path, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await res.text();
      expect(html).toContain('graphiql/assets/graphiql.min.js');
      expect(html).not.toMatch(/https?:\/\//);
    }
    for (const file of [
      'react.production.min.js',
      'react-dom.production.min.js',
      'graphiql.min.js',
      'graphiql.min.css',
      'init.js',
    ]) {
      const res = await fetch(`${base}/graphiql/assets/${file}`);
      expect(res.status, file).toBe(200);
      expect((await res.arrayBuffer()).byteLength, file).toBeGreaterThan(100);
    }
    expect((await fetch(`${base}/graphiql/assets/nope.js`)).status).toBe(404);
  });
});

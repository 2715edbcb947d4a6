/**
 * The GraphQL listener end to end: a real upstream on port 0, the real daemon started
 * in-process on test/fixtures/graphql, queries over HTTP. Asserts both the answers and
 * what the upstream received.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/graphql');

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

const received: Received[] = [];
const BIG_ID = '9007199254740993'; // 2^53 + 1: not representable as a JS number

/** The upstream `users.Users` service: answers by path, records every call. */
function upstream(): Server {
  return createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://upstream');
      received.push({
        method: req.method ?? '',
        path: url.pathname,
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      });
      const send = (status: number, json: string) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(json);
      const user = url.pathname.match(/^\/users\/(\w+)$/);
      if (req.method === 'GET' && user) {
        const id = user[1] === 'big' ? BIG_ID : user[1];
        return send(
          200,
          `{"id":${id},"name":"Ann","role":"ADMIN","address":{"street":"Main 1","city":"Oslo"},"tags":["a","b"],"active":true,"score":1.5,"labels":{"team":"core"}}`,
        );
      }
      if (req.method === 'POST' && url.pathname === '/users')
        return send(200, JSON.stringify({ id: 42, ...(JSON.parse(text) as object) }));
      if (req.method === 'POST' && url.pathname === '/search')
        return send(200, '{"users":[{"id":1,"name":"Bo","role":"MEMBER"},{"id":2,"name":"Cy","role":"MEMBER"}]}');
      if (url.pathname.startsWith('/broken/')) return send(404, '{"message":"no such user"}');
      return send(500, '{"message":"unexpected call"}');
    });
  });
}

let server: Server;
let daemon: Daemon;
let url: string;

beforeAll(async () => {
  server = upstream();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  daemon = await startDaemon({
    config: [path.join(fixtures, '*.hcl')],
    env: { UPSTREAM: `http://127.0.0.1:${port}`, GRAPHQL_ADDRESS: ':1' },
    graphql: '127.0.0.1:0',
    http: '127.0.0.1:0',
    logger: pino({ level: 'silent' }),
  });
  url = `http://${daemon.addresses.graphql}/graphql`;
});

afterAll(async () => {
  await daemon?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

beforeEach(() => {
  received.length = 0;
});

async function gql(
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Record<string, unknown> };
}

describe('GraphQL listener (daemon)', () => {
  it('runs a query with arguments under a nested path, forwarding headers', async () => {
    const res = await gql(
      '{ user { get(id: "7") { id name role active score tags labels address { city } } } }',
      undefined,
      { authorization: 'Bearer t0k' },
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      data: {
        user: {
          get: {
            id: 7,
            name: 'Ann',
            role: 'ADMIN',
            active: true,
            score: 1.5,
            tags: ['a', 'b'],
            labels: { team: 'core' },
            address: { city: 'Oslo' },
          },
        },
      },
    });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'GET', path: '/users/7' });
    expect(received[0]!.headers.authorization).toBe('Bearer t0k');
  });

  it('takes variables, and keeps int64 exact beyond 2^53', async () => {
    const res = await gql('query Q($id: String) { user { get(id: $id) { id name } } }', { id: 'big' });
    expect(res.text).toBe(`{"data":{"user":{"get":{"id":${BIG_ID},"name":"Ann"}}}}`);
  });

  it('runs a mutation with an enum, a nested input object and a list', async () => {
    const res = await gql(
      'mutation { user { create(name: "Dee", role: MEMBER, address: { street: "Elm 2", city: "Bergen" }, tags: ["x"]) { id name role address { street } tags } } }',
    );
    expect(res.json).toEqual({
      data: { user: { create: { id: 42, name: 'Dee', role: 'MEMBER', address: { street: 'Elm 2' }, tags: ['x'] } } },
    });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', path: '/users' });
    expect(received[0]!.body).toEqual({
      name: 'Dee',
      role: 'MEMBER',
      address: { street: 'Elm 2', city: 'Bergen' },
      tags: ['x'],
    });
  });

  it('passes an enum argument by name to the upstream', async () => {
    const res = await gql('query S($role: Role) { users { search(role: $role, limit: 2) { users { name role } } } }', {
      role: 'MEMBER',
    });
    expect(res.json).toEqual({
      data: {
        users: {
          search: {
            users: [
              { name: 'Bo', role: 'MEMBER' },
              { name: 'Cy', role: 'MEMBER' },
            ],
          },
        },
      },
    });
    expect(received[0]!.body).toEqual({ role: 'MEMBER', limit: 2 });
  });

  it('fails only the failing field: errors[].extensions.status and data null for that field', async () => {
    const res = await gql('{ user { get(id: "7") { name } broken(id: "1") { name } } }');
    expect(res.status).toBe(200);
    const errors = res.json.errors as Array<{ message: string; path: unknown; extensions: Record<string, unknown> }>;
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toEqual(['user', 'broken']);
    expect(errors[0]!.extensions.status).toBe(404);
    expect(errors[0]!.message).toEqual(expect.any(String));
    expect(res.json.data).toEqual({ user: { get: { name: 'Ann' }, broken: null } });
  });

  it('accepts a JSON input on an untyped flow', async () => {
    const res = await gql('{ echo(input: { text: "hello" }) }');
    expect(res.json).toEqual({ data: { echo: { said: 'hello' } } });
  });

  it('lists the generated types in introspection', async () => {
    const res = await gql(`{
      profile: __type(name: "Profile") { kind fields { name type { kind name ofType { name } } } }
      role: __type(name: "Role") { kind enumValues { name } }
      input: __type(name: "NewUserInput") { kind }
      address: __type(name: "AddressInput") { kind inputFields { name } }
      wrapper: __type(name: "QueryUser") { fields { name args { name type { name } } } }
      schema: __schema { mutationType { name } queryType { name } }
    }`);
    const data = res.json.data as Record<string, Record<string, unknown> | null>;
    expect(data.profile!.kind).toBe('OBJECT');
    expect(data.profile!.fields).toEqual(
      expect.arrayContaining([
        { name: 'id', type: { kind: 'SCALAR', name: 'Int64', ofType: null } },
        { name: 'role', type: { kind: 'ENUM', name: 'Role', ofType: null } },
        { name: 'tags', type: { kind: 'LIST', name: null, ofType: { name: 'String' } } },
      ]),
    );
    expect(data.role).toEqual({
      kind: 'ENUM',
      enumValues: [{ name: 'ROLE_UNKNOWN' }, { name: 'ADMIN' }, { name: 'MEMBER' }],
    });
    expect(data.input).toBeNull(); // NewUser is only ever an argument list, never a nested input
    expect(data.address).toEqual({ kind: 'INPUT_OBJECT', inputFields: [{ name: 'street' }, { name: 'city' }] });
    expect(data.wrapper!.fields).toEqual([
      { name: 'get', args: [{ name: 'id', type: { name: 'String' } }] },
      { name: 'broken', args: [{ name: 'id', type: { name: 'String' } }] },
    ]);
    expect(data.schema).toEqual({ mutationType: { name: 'Mutation' }, queryType: { name: 'Query' } });
  });
});

describe('GraphQL schema conflicts', () => {
  it('rejects two flows on one graphql path with a positioned compile error', async () => {
    const file = path.join(fixtures, 'conflict/config.hcl');
    const { plan, diagnostics } = await loadPlan({ config: [file], env: {} });
    expect(plan).toBeUndefined();
    const messages = diagnostics.errors.map(formatDiagnostic);
    expect(messages).toEqual([
      expect.stringMatching(
        /config\.hcl:13: graphql query field "user\.get" of "second" is already served for "first" \(.*config\.hcl:9\)/,
      ),
    ]);
  });
});

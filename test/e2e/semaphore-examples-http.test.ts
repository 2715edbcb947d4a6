/**
 * Semaphore's own examples (../shared/semaphore-examples/examples) run unchanged against
 * local stand-in upstreams, answering what the original answers: http, worldbank (XML),
 * functions, custom-functions (jwt), error-handling (HTTP, GraphQL, gRPC) and consul.
 * The grpc, graphql and multiple-gateways examples are in semaphore-examples-rpc.test.ts.
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, PRESENT, runExample } from '../fixtures/compat/examples.js';
import { standInConsul } from '../fixtures/compat/consul.js';
import { postJson, send, sendJson, upstream } from './helpers.js';

const TODO = { userId: 1, id: 1, title: 'delectus aut autem', completed: false };
const USER = { id: 1, name: 'Leanne Graham', username: 'Bret', email: 'Sincere@april.biz' };

/** jsonplaceholder.typicode.com as the examples use it. */
function placeholder() {
  return upstream((_req, res, seen) => {
    if (seen.url === '/todos/1') return sendJson(res, 200, TODO);
    if (seen.url === '/users/1') return sendJson(res, 200, USER);
    return sendJson(res, 404, {});
  });
}

describe.skipIf(!PRESENT)('Semaphore examples, unchanged, on local stand-ins', () => {
  it('http: two calls at once, the output and a header mapped from them', async () => {
    const up = await placeholder();
    const { http } = await runExample(
      ['http/config.hcl'],
      `services {\n  select "com.semaphore.*" {\n    host = "${up.url}/"\n  }\n}\n`,
    );
    const res = await send(`${http}/`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ id: 1, title: 'delectus aut autem', completed: false });
    expect(res.headers.username).toBe('Bret');
    expect(up.seen.map((s) => s.url).sort()).toEqual(['/todos/1', '/users/1']);
  });

  it('worldbank: an XML upstream mapped to JSON', async () => {
    const xml =
      '<?xml version="1.0" encoding="utf-8"?>\n<wb:countries page="1" pages="1" per_page="50" total="2" xmlns:wb="http://www.worldbank.org">' +
      '<wb:country id="ABW"><wb:iso2Code>AW</wb:iso2Code><wb:name>Aruba</wb:name><wb:region>Latin America</wb:region><wb:longitude>-70.0167</wb:longitude><wb:latitude>12.5167</wb:latitude></wb:country>' +
      '<wb:country id="NLD"><wb:iso2Code>NL</wb:iso2Code><wb:name>Netherlands</wb:name><wb:region>Europe</wb:region><wb:longitude>4.89095</wb:longitude><wb:latitude>52.3738</wb:latitude></wb:country>' +
      '</wb:countries>';
    const up = await upstream(
      (_req, res) => void res.writeHead(200, { 'content-type': 'application/xml;charset=utf-8' }).end(xml),
    );
    const { http } = await runExample(
      ['worldbank/config.hcl'],
      `services {\n  select "com.semaphore.*" {\n    host = "${up.url}/"\n  }\n}\n`,
    );
    const res = await send(`${http}/`);
    expect(res.status).toBe(200);
    const body = res.json<{ countries: Array<Record<string, unknown>> }>();
    expect(body.countries.map((c) => [c.iso2Code, c.name, c.region])).toEqual([
      ['AW', 'Aruba', 'Latin America'],
      ['NL', 'Netherlands', 'Europe'],
    ]);
    expect(body.countries[0]!.latitude).toBeCloseTo(12.5167, 3);
    expect(up.seen[0]).toMatchObject({ method: 'GET', url: '/v2/country' });
  });

  it('functions: sprintf with %s, %d and %json', async () => {
    const { http } = await runExample(['functions/config.hcl'], '# no upstream\n');
    expect((await postJson(`${http}/string`, { name: 'John', subject: 'cat' })).json()).toEqual({
      message: 'Hey John! What is that cat?',
    });
    expect((await postJson(`${http}/numeric`, { name: 'John', age: 42 })).json()).toEqual({
      message: 'Hey John! I know you are 42 years old!',
    });
    const json = (
      await postJson(`${http}/json`, { name: 'John', info: { sex: 'male', age: 42, married: true, numbers: [1, 2] } })
    ).json<{ message: string }>();
    expect(json.message).toMatch(/^Hey John! We have got your personal info in JSON: \{.*"sex":"male".*\}!$/);
  });

  it("custom-functions: jwt() in before; a bad token is the flow's 401 error object", async () => {
    const up = await placeholder();
    const secret = 'example-secret';
    const overrides = `services {\n  select "proto.*" {\n    host = "${up.url}/"\n  }\n}\n\njwt {\n  secret = "${secret}"\n}\n`;
    const { http } = await runExample(['custom-functions/flow.hcl'], overrides, {
      protos: ['custom-functions/proto/*.proto'],
    });

    const refused = await send(`${http}/`, { headers: { authorization: 'Bearer not.a.token' } });
    expect(refused.status).toBe(401);
    expect(refused.json()).toEqual({ message: 'on error message', status: 401 });
    expect(up.seen).toHaveLength(0);

    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'bret', exp: Math.floor(Date.now() / 1000) + 600 })}`;
    const token = `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
    const ok = await send(`${http}/`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ id: 1, title: 'delectus aut autem', completed: false });
    expect(ok.headers.username).toBe('Bret');
  });

  it('error-handling: global, flow and node on_error over HTTP, GraphQL and gRPC', async () => {
    const up = await upstream((_req, res) => sendJson(res, 404, {}));
    const {
      http,
      graphql,
      grpc: grpcAddress,
    } = await runExample(
      ['error-handling/config.hcl'],
      `services {\n  select "proto.*" {\n    host = "${up.url}/"\n  }\n}\n`,
    );
    for (const [path, message] of [
      ['/', 'global error message'],
      ['/flow', 'flow error message'],
      ['/flow/node', 'node error message'],
    ]) {
      const res = await send(`${http}${path}`);
      expect(res.status).toBe(401);
      expect(res.json()).toEqual({ message, status: 401 });
    }
    expect(up.seen.every((s) => s.url === '/404')).toBe(true);

    const gql = await postJson(`${graphql!}/`, { query: '{ greeter { global } }' });
    const errors = gql.json<{ errors: Array<{ message: string; extensions: Record<string, unknown> }> }>().errors;
    expect(errors[0]).toMatchObject({ message: 'global error message', extensions: { status: 401 } });

    // The example serves semaphore.greeter.Error/Global without a proto of its own: call it raw.
    const client = new grpc.Client(grpcAddress!, grpc.credentials.createInsecure());
    const answer = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        '/semaphore.greeter.Error/Global',
        (v: Buffer) => v,
        (b: Buffer) => b,
        Buffer.alloc(0),
        (error) => resolve(error),
      );
    });
    client.close();
    expect(answer).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'global error message' });
  });

  it('consul: the host of awesome-dogs comes from the (stand-in) Consul catalog', async () => {
    const dogs = {
      dogs: [
        { id: 1, name: 'Rex', breed: 'Boxer' },
        { id: 2, name: 'Fido', breed: 'Beagle' },
      ],
    };
    const up = await upstream((_req, res) => sendJson(res, 200, dogs));
    const consul = await standInConsul();
    consul.set('awesome-dogs', [
      { id: 'awesome-dogs-1', address: '127.0.0.1', port: Number(new URL(up.url).port), status: 'passing' },
    ]);
    const { http } = await runExample(['consul/config.hcl'], `discovery "consul" {\n  address = "${consul.url}"\n}\n`);
    const res = await send(`${http}/`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual(dogs);
    expect(up.seen[0]).toMatchObject({ method: 'GET', url: '/' });
    expect(consul.queries[0]).toMatchObject({ service: 'awesome-dogs', passing: true });
  });
});

it.skipIf(PRESENT)(`Semaphore examples: skipped, ${join(EXAMPLES)} is not beside the project`, () => {});

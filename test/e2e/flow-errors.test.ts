/**
 * Failures end to end, as a client sees them: the status, the error body and which
 * upstream calls were made. Without error blocks the body is `{status, message}`; an
 * upstream's 4xx/5xx is kept, anything else that is not an expected answer is 502 and a
 * timeout 504; input that does not decode or fit its type is 400 and calls nothing.
 * Then on_error and error objects at resource, flow and global level, each inherited on
 * its own.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  closedPort,
  daemon,
  FLOW_FIXTURES,
  postJson,
  send,
  sendJson,
  shared,
  upstream,
  type Upstream,
} from './helpers.js';

/** /users/<id>: the id picks the answer. */
function usersHandler(): Parameters<typeof upstream>[0] {
  return (_req, res, seen) => {
    const id = seen.url.split('/').pop();
    switch (id) {
      case 'u1':
        return sendJson(res, 200, { name: 'Ann' });
      case 'missing':
        return sendJson(res, 404, { message: 'no user missing', reason: 'deleted last week' });
      case 'broken':
        return sendJson(res, 500, { message: 'database down' });
      case 'teapot':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('it is on fire');
        return;
      case 'moved':
        res.writeHead(302, { location: '/users/u1' }).end();
        return;
      case 'created':
        return sendJson(res, 201, { name: 'New' });
      case 'garbage':
        return sendJson(res, 200, '{"name": "Ann"');
      case 'hang':
        return; // never answers; the upstream closes its connections after the test
      default:
        if (seen.url === '/users') return sendJson(res, 200, JSON.parse(seen.body));
        return sendJson(res, 404, { message: `no user ${id}` });
    }
  };
}

describe('flows: errors without error blocks', () => {
  let base: string;
  let users: Upstream;

  shared(async () => {
    users = await upstream(usersHandler());
    ({ base } = await daemon([join(FLOW_FIXTURES, 'errors.hcl')], {
      UPSTREAM_USERS: users.url,
      UPSTREAM_GONE: await closedPort(),
    }));
    return true;
  });

  it('answers the mapped output when all goes well', async () => {
    const res = await send(`${base}/users/u1`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ name: 'Ann' });
  });

  it('keeps an upstream 404, with the default body {status, message}', async () => {
    const res = await send(`${base}/users/missing`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    // The status text, as Semaphore answered; the upstream's own text stays out unless a flow maps it.
    expect(res.json()).toEqual({ status: 404, message: 'Not Found' });
  });

  it('keeps an upstream 500, whatever its body', async () => {
    const broken = await send(`${base}/users/broken`);
    expect(broken.status).toBe(500);
    expect(broken.json()).toEqual({ status: 500, message: 'Internal Server Error' });
    const teapot = await send(`${base}/users/teapot`);
    expect(teapot.status).toBe(500);
    expect(teapot.json()).toEqual({ status: 500, message: 'Internal Server Error' });
  });

  it('answers 502 for an unexpected status below 400', async () => {
    // Redirects are followed (as Semaphore did) unless the call says follow_redirects = false.
    const followed = await send(`${base}/users/moved`);
    expect(followed.status).toBe(200);
    expect(followed.json()).toEqual({ name: 'Ann' });
    const redirect = await send(`${base}/stay/moved`);
    expect(redirect.status).toBe(502);
    expect(redirect.json()).toMatchObject({ status: 502 });
    // 201 is a 2xx, but this resource expects exactly 200.
    expect((await send(`${base}/users/created`)).status).toBe(200);
    const strict = await send(`${base}/strict/created`);
    expect(strict.status).toBe(502);
    expect(strict.json()).toMatchObject({ status: 502, message: expect.any(String) });
  });

  it('answers 502 when the upstream refuses the connection', async () => {
    const res = await send(`${base}/gone`);
    expect(res.status).toBe(502);
    expect(res.json()).toMatchObject({ status: 502, message: expect.stringContaining('refused') });
    expect(res.text).not.toContain('127.0.0.1');
  });

  it('answers 504 when the call outlives its timeout', async () => {
    const res = await send(`${base}/slow`);
    expect(res.status).toBe(504);
    expect(res.json()).toMatchObject({ status: 504, message: expect.stringContaining('timed out') });
    expect(users.seen.at(-1)!.url).toBe('/users/hang');
  });

  it('answers 502 for a 2xx answer that does not decode', async () => {
    const res = await send(`${base}/users/garbage`);
    expect(res.status).toBe(502);
    expect(res.json()).toMatchObject({ status: 502 });
  });

  it('answers 400 to malformed JSON and calls nothing', async () => {
    const before = users.seen.length;
    const res = await postJson(`${base}/people`, '{"name": "Ann",');
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, message: expect.any(String) });
    expect(users.seen.length).toBe(before);
  });

  it('answers 400 naming the field that does not fit its type, and calls nothing', async () => {
    const before = users.seen.length;
    const res = await postJson(`${base}/people`, { name: 'Ann', age: 'old' });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, message: expect.stringContaining('age') });
    const enumRes = await postJson(`${base}/people`, { name: 'Ann', role: 'KING' });
    expect(enumRes.status).toBe(400);
    expect(enumRes.json()).toMatchObject({ message: expect.stringContaining('role') });
    expect(users.seen.length).toBe(before);

    const ok = await postJson(`${base}/people`, { name: 'Ann', age: 34 });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ name: 'Ann', age: 34 });
    expect(JSON.parse(users.seen.at(-1)!.body)).toEqual({ name: 'Ann', age: 34 });
  });

  it('types query parameters by the input field they fill: 400 naming a field they do not fit', async () => {
    const before = users.seen.length;
    const bad = await postJson(`${base}/people?age=old`, { name: 'Ann' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ status: 400, message: expect.stringContaining('"age"') });
    expect(users.seen.length).toBe(before);

    const ok = await postJson(`${base}/people?age=41&tags=solo`, { name: 'Ann' });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ name: 'Ann', age: 41 });
    expect(JSON.parse(users.seen.at(-1)!.body)).toEqual({ name: 'Ann', age: 41 });
    // The body wins over a parameter of the same name.
    expect((await postJson(`${base}/people?age=old`, { name: 'Ann', age: 7 })).json()).toEqual({ name: 'Ann', age: 7 });
  });

  it('answers a path the router cannot decode with the same JSON error shape', async () => {
    const res = await send(`${base}/users/%zz`, { headers: { 'x-request-id': 'bad-url-1' } });
    expect(res.status).toBe(400);
    expect(res.headers['x-request-id']).toBe('bad-url-1');
    expect(res.json()).toEqual({ status: 400, message: expect.stringContaining('not a valid url') });
    const long = await send(`${base}/users/${'x'.repeat(3000)}`);
    expect(long.status).toBe(414);
    expect(long.json()).toMatchObject({ status: 414, message: expect.any(String) });
  });
});

describe('flows: on_error and error objects', () => {
  let base: string;

  shared(async () => {
    const users = await upstream(usersHandler());
    ({ base } = await daemon([join(FLOW_FIXTURES, 'error-objects.hcl')], { UPSTREAM_USERS: users.url }));
    return true;
  });

  it('uses the global on_error and error object when the flow has none', async () => {
    const res = await send(`${base}/global/missing`);
    expect(res.status).toBe(503);
    expect(res.json()).toEqual({ level: 'global', status: 503, message: 'global: Not Found' });
  });

  it("prefers the flow's on_error and error object to the global ones", async () => {
    const res = await send(`${base}/flow/missing`);
    expect(res.status).toBe(422);
    expect(res.json()).toEqual({ level: 'flow', code: 422, text: 'flow: Not Found' });
  });

  it("prefers the resource's to the flow's, with params read from the upstream error body", async () => {
    const res = await send(`${base}/resource/missing`);
    expect(res.status).toBe(409);
    expect(res.json()).toEqual({
      level: 'resource',
      status: 409,
      message: 'user missing: Not Found',
      reason: 'deleted last week',
      upstream: 'no user missing',
    });
  });

  it('inherits on_error and the error object separately', async () => {
    const mixed = await send(`${base}/mixed/missing`);
    expect(mixed.status).toBe(410);
    expect(mixed.json()).toEqual({ level: 'flow', code: 410, text: 'Not Found' });

    const inherit = await send(`${base}/inherit/missing`);
    expect(inherit.status).toBe(404);
    expect(inherit.json()).toEqual({ level: 'global', status: 404, message: 'flow says: Not Found' });
  });

  it('leaves successful requests alone', async () => {
    for (const path of ['global', 'flow', 'resource', 'mixed', 'inherit']) {
      const res = await send(`${base}/${path}/u1`);
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ name: 'Ann' });
    }
  });
});

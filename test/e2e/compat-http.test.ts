/**
 * Differences from Semaphore found in a side-by-side run (issue #12), each with the
 * original's behaviour as the expected value: 405 with Allow, empty path parameters,
 * status-text error messages, proto3 defaults in outputs, the form-urlencoded codec and
 * request/response codecs, and upstream redirects.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { daemon, postJson, send, sendJson, shared, upstream, type Upstream } from './helpers.js';

const CONFIG = join(fileURLToPath(new URL('../fixtures/compat', import.meta.url)), 'compat-http.hcl');

function handler(): Parameters<typeof upstream>[0] {
  return (req, res, seen) => {
    const path = seen.url.split('?')[0]!;
    if (path === '/users/ann') return sendJson(res, 200, { name: 'Ann' }); // proto3: zero fields left out
    if (path === '/users/sub') return sendJson(res, 200, { name: 'Sub', friend: {} });
    if (path === '/users/broken') return sendJson(res, 500, { message: 'secret stack trace' });
    if (path === '/users/missing') return sendJson(res, 404, { message: 'no such user in table users_v2' });
    if (path.startsWith('/users/hop')) {
      const n = Number(path.slice('/users/hop'.length));
      if (n > 0) return void res.writeHead(302, { location: `/users/hop${n - 1}` }).end();
      return sendJson(res, 200, { name: 'Hopped' });
    }
    if (path === '/users/loop') return void res.writeHead(307, { location: '/users/loop' }).end();
    if (path === '/save') return void res.writeHead(303, { location: '/saved' }).end();
    if (path === '/saved') return sendJson(res, 200, { method: req.method, body: seen.body });
    if (path === '/form') return sendJson(res, 200, { got: seen.body });
    if (path === '/legacy')
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`got=${encodeURIComponent(seen.body)}`);
    if (path === '/mixed')
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(`<root><got>${seen.body}</got></root>`);
    return sendJson(res, 404, { message: 'unexpected call' });
  };
}

describe('compatibility with Semaphore: HTTP', () => {
  let base: string;
  let up: Upstream;

  shared(async () => {
    up = await upstream(handler());
    ({ base } = await daemon([CONFIG], { UPSTREAM: up.url }));
    return true;
  });

  it('answers 405 with Allow for a path served under another method', async () => {
    const res = await send(`${base}/users/ann`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    const nowhere = await send(`${base}/nowhere`, { method: 'POST', body: '{}' });
    expect(nowhere.status).toBe(404);
  });

  it('does not match a route with an empty path parameter', async () => {
    const calls = up.seen.length;
    const res = await send(`${base}/users/`);
    expect(res.status).toBe(404);
    expect(up.seen.length).toBe(calls);
  });

  it('writes proto3 defaults for output fields mapped from a typed message', async () => {
    const res = await send(`${base}/users/ann`);
    expect(res.status).toBe(200);
    // An absent message stays absent; scalars and enums get their zero values.
    expect(res.json()).toEqual({ name: 'Ann', age: 0, active: false, role: 'GUEST' });
    const sub = await send(`${base}/users/sub`);
    expect(sub.json()).toMatchObject({ friend: { name: '', age: 0, id: 0, active: false, role: 'GUEST' } });
  });

  it('uses the status text as error:message, never the upstream body unless mapped', async () => {
    const broken = await send(`${base}/users/broken`);
    expect(broken.status).toBe(500);
    expect(broken.json()).toEqual({ status: 500, message: 'Internal Server Error' });
    expect(broken.text).not.toContain('secret');
    const missing = await send(`${base}/users/missing`);
    expect(missing.json()).toEqual({ status: 404, message: 'Not Found' });
    // A flow that maps the upstream text on purpose gets it.
    const mapped = await send(`${base}/mapped/missing`);
    expect(mapped.json()).toEqual({ status: 404, message: 'upstream says: no such user in table users_v2' });
  });

  it('follows upstream redirects up to a limit', async () => {
    const res = await send(`${base}/users/hop3`);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Hopped' });
    expect(up.seen.filter((s) => s.url.startsWith('/users/hop')).map((s) => s.url)).toEqual([
      '/users/hop3',
      '/users/hop2',
      '/users/hop1',
      '/users/hop0',
    ]);

    const before = up.seen.length;
    const loop = await send(`${base}/users/loop`);
    expect(loop.status).toBe(502);
    expect(loop.json()).toMatchObject({ message: expect.stringContaining('redirected more than 10 times') });
    expect(up.seen.length - before).toBe(11);
  });

  it('turns a POST answered 303 into a bodiless GET, as Go does', async () => {
    const res = await postJson(`${base}/save`, { name: 'Bo' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ saved: { method: 'GET', body: '' } });
    expect(up.seen.filter((s) => s.url === '/save')[0]).toMatchObject({ method: 'POST', body: '{"name":"Bo"}' });
  });

  it('accepts codec = "form-urlencoded" on endpoints and services', async () => {
    const res = await send(`${base}/form`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Ann+Lee',
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const sent = up.seen.at(-1)!;
    expect(sent).toMatchObject({
      url: '/form',
      headers: { 'content-type': expect.stringMatching(/x-www-form-urlencoded/) },
    });
    expect(new URLSearchParams(sent.body).get('name')).toBe('Ann Lee');
    expect(new URLSearchParams(res.text).get('got')).toBe(sent.body);
  });

  it('honours request_codec and response_codec on a service block', async () => {
    const res = await postJson(`${base}/legacy`, { name: 'Bo' });
    expect(res.status).toBe(200);
    // Sent as XML; the answer read as a form although it claims to be JSON.
    expect(res.json<{ got: string }>().got).toMatch(/<name>Bo<\/name>/);
    expect(up.seen.at(-1)).toMatchObject({ url: '/legacy', headers: { 'content-type': expect.stringMatching(/xml/) } });
  });

  it('honours request_codec and response_codec on endpoints and services { select }', async () => {
    // The client sends a form body labelled JSON: request_codec decides, not the header.
    const res = await send(`${base}/mixed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'name=Bo',
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/xml/);
    expect(res.text).toContain('<got>name=Bo</got>');
    // The service sent a form body and read the XML answer whatever its Content-Type.
    expect(up.seen.at(-1)).toMatchObject({
      url: '/mixed',
      body: 'name=Bo',
      headers: { accept: expect.stringMatching(/xml/) },
    });
  });
});

/**
 * Template functions end to end: every built-in and two user functions from a module
 * named in the config, applied to the input and to an upstream answer; `jwt()` verifying
 * an HS256 token signed here with the secret the config reads from `$JWT_SECRET`. A token
 * that does not verify is a 401 and nothing is called.
 */
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { daemon, FLOW_FIXTURES, postJson, send, sendJson, shared, upstream, type Upstream } from './helpers.js';

const CONFIG = [join(FLOW_FIXTURES, 'functions.hcl')];
const SECRET = 'e2e-secret-of-32-bytes-or-so....';

function sign(
  claims: Record<string, unknown>,
  secret = SECRET,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode(header)}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

describe('flows: functions', () => {
  let base: string;
  let profiles: Upstream;

  shared(async () => {
    profiles = await upstream((_req, res, seen) =>
      sendJson(res, 200, {
        id: seen.url.split('/').pop(),
        name: 'Ann Lee',
        secret: Buffer.from('sésame').toString('base64'),
        settings: '{"lang":"sv","size":2}',
        nickname: '',
      }),
    );
    ({ base } = await daemon(CONFIG, { UPSTREAM_PROFILES: profiles.url, JWT_SECRET: SECRET }));
    return true;
  });

  it("applies every built-in function and the module's functions in an output", async () => {
    const res = await postJson(`${base}/functions`, {
      id: 'p1',
      name: 'Ann',
      first: 'Ann',
      last: 'LEE',
      age: 34,
      height: 1.7,
      weight: 61.26,
      tags: ['a', 'b', 'c'],
      address: { city: 'Lund', zip: '22100' },
    });
    expect(res.status).toBe(200);
    const out = res.json();
    expect(out).toMatchObject({
      sprintf: 'Ann is 34, 1.700000 m, 61.3 kg, tags ["a","b","c"], home {"city":"Lund","zip":"22100"}',
      strconcat: 'Ann LEE#34',
      upper: 'ANN',
      lower: 'ann lee',
      len_text: 3,
      len_list: 3,
      len_object: 2,
      b64: 'QW5u',
      unb64: 'sésame',
      json: '{"city":"Lund","zip":"22100"}',
      decoded: { lang: 'sv', size: 2 },
      theme: 'dark',
      nickname: 'Ann Lee',
      initials: 'AL',
      sum: 42,
      nested: 'ANN-3',
      text: 'ANN and lee',
    });
    expect(out.now).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    expect(Number.isInteger(out.now_unix)).toBe(true);
    expect(out.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(profiles.seen.at(-1)!.url).toBe('/profiles/p1');

    const again = (await postJson(`${base}/functions`, { id: 'p1', name: 'Bo', theme: 'light' })).json();
    expect(again.uuid).not.toBe(out.uuid);
    expect(again.theme).toBe('light');
  });

  it('jwt: a valid HS256 token gives its claims to the flow', async () => {
    const token = sign({ sub: 'u-7', roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 600 });
    const res = await send(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      sub: 'u-7',
      roles: ['admin'],
      claims: { sub: 'u-7', roles: ['admin'] },
      profile: 'Ann Lee',
    });
    expect(profiles.seen.at(-1)!.url).toBe('/profiles/u-7');
  });

  it.each([
    ['a wrong signature', () => sign({ sub: 'u-7' }, 'another secret')],
    ['an expired token', () => sign({ sub: 'u-7', exp: Math.floor(Date.now() / 1000) - 3600 })],
    [
      'alg none',
      () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u-7"}').toString('base64url')}.`,
    ],
    ['a malformed token', () => 'not-a-token'],
    ['no token', () => undefined],
  ])('jwt: %s is a 401 and nothing is called', async (_what, token) => {
    const before = profiles.seen.length;
    const value = token();
    const res = await send(`${base}/me`, { headers: value === undefined ? {} : { authorization: `Bearer ${value}` } });
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ status: 401, message: expect.any(String) });
    expect(res.text).not.toContain(SECRET);
    expect(profiles.seen.length).toBe(before);
  });
});

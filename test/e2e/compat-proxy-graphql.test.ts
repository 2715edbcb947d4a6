/**
 * Differences from Semaphore (issue #12) in proxies and the GraphQL listener, with the
 * original's behaviour as the expected value: rewrite patterns are searched and a match
 * makes the template the whole path; a GET's body is forwarded; a GraphQL query is
 * accepted as JSON whatever the Content-Type, at `/` and `/graphql`, and by GET ?query=.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDir, daemon, send, sendJson, shared, upstream, type Upstream } from './helpers.js';

const CONFIG = `
graphql {
  address = "127.0.0.1:0"
}

service "compat" "Hub" {
  transport = "http"
  host      = "$UPSTREAM"
}

service "compat" "Users" {
  transport = "http"
  host      = "$UPSTREAM"

  method "Get" {
    options {
      endpoint = "/users/:id"
      method   = "GET"
    }
  }
}

endpoint "gateway" "http" {
  endpoint = "/*path"
  method   = "*"
}

proxy "gateway" {
  forward "compat.Hub" {}
  rewrite "/swap/(?P<a>\\\\w+)/(?P<b>\\\\w+)" "/<b>/<a>" {}
}

endpoint "user" "graphql" {
  path = "user"
  name = "User"
}

flow "user" {
  input {}

  resource "user" {
    request "compat.Users" "Get" {
      id = "7"
    }
  }

  output {
    name = "{{ user:name }}"
  }
}
`;

describe('compatibility with Semaphore: proxies and GraphQL', () => {
  let base: string;
  let graphql: string;
  let up: Upstream;

  shared(async () => {
    up = await upstream((_req, res, seen) => {
      if (seen.url === '/users/7') return sendJson(res, 200, { name: 'Ann' });
      return sendJson(res, 200, { method: seen.method, url: seen.url, body: seen.body });
    });
    const dir = configDir({ 'compat.hcl': CONFIG });
    const started = await daemon([join(dir, 'compat.hcl')], { UPSTREAM: up.url });
    base = started.base;
    graphql = `http://${started.daemon.addresses.graphql!}`;
    return true;
  });

  it('searches the rewrite pattern and makes the template the whole path', async () => {
    const res = await send(`${base}/prefix/swap/a/b/c?x=1`);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ url: '/b/a?x=1' });
    const untouched = await send(`${base}/other/a`);
    expect(untouched.json()).toMatchObject({ url: '/other/a' });
  });

  it('forwards the body of a GET', async () => {
    const res = await send(`${base}/search`, {
      method: 'GET',
      headers: { 'content-type': 'application/json' },
      body: '{"q":"lamp"}',
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ method: 'GET', url: '/search', body: '{"q":"lamp"}' });
  });

  const query = JSON.stringify({ query: '{ user }' });

  it('accepts a GraphQL JSON body sent as form-urlencoded (curl -d), at / and /graphql', async () => {
    for (const path of ['/', '/graphql']) {
      const res = await send(`${graphql}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: query,
      });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ data: { user: { name: 'Ann' } } });
    }
  });

  it('accepts a GraphQL JSON body sent as text/plain or with no Content-Type', async () => {
    const plain = await send(`${graphql}/`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: query });
    expect(plain.status).toBe(200);
    expect(plain.json()).toEqual({ data: { user: { name: 'Ann' } } });
    // A Buffer body: undici sends no Content-Type at all.
    const none = await send(`${graphql}/graphql`, { method: 'POST', body: Buffer.from(query) });
    expect(none.status).toBe(200);
    expect(none.json()).toEqual({ data: { user: { name: 'Ann' } } });
  });

  it('answers a GraphQL GET with ?query=', async () => {
    for (const path of ['/', '/graphql']) {
      const res = await send(`${graphql}${path}?query=${encodeURIComponent('{ user }')}`);
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ data: { user: { name: 'Ann' } } });
    }
  });

  it('still refuses a body that is not JSON', async () => {
    const res = await send(`${graphql}/`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'query { user { name } }',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

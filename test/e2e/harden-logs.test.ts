/**
 * Upstream error bodies in the log (issue #8), against a daemon process logging at
 * debug: upstreams that fail while echoing the caller's bearer token, cookie and
 * password — as JSON, as text, in a stack trace, in an undecodable 2xx, in a 1 MB body —
 * leave none of them in any log line; the lines carry the status, the size and a short
 * masked excerpt instead.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnDaemon } from '../fixtures/proxy/helpers.js';
import { cleanup, configDir, send, upstream, waitFor } from './helpers.js';

const TOKEN = 'tok-4f9a1c7e2b';
const COOKIE = 'sid-77aa99bb00';
const PASSWORD = 'pw-hunter2-xyz';

const FLOWS = `
log_level = "debug"

service "h" "Echo" {
  host = "$ECHO"
  method "Fail" {
    options {
      endpoint = "/:mode"
      method   = "POST"
    }
  }
}

endpoint "fail" "http" {
  endpoint = "/fail/:mode"
  method   = "POST"
}

flow "fail" {
  input {
    header = ["Authorization", "Cookie"]
  }
  resource "echo" {
    request "h.Echo" "Fail" {
      header {
        Authorization = "{{ input.header:Authorization }}"
        Cookie        = "{{ input.header:Cookie }}"
      }
      params {
        mode = "{{ input:mode }}"
      }
      password = "{{ input:password }}"
    }
  }
  output {
    ok = "{{ echo:ok }}"
  }
}
`;

describe('upstream error bodies in the log', () => {
  it('never carry a token, cookie or password the upstream echoed', async () => {
    const echo = await upstream((req, res, seen) => {
      const auth = String(req.headers.authorization);
      const cookie = String(req.headers.cookie);
      const body = JSON.parse(seen.body) as { password: string };
      const echoed = {
        message: `refused ${auth} with ${cookie}`,
        authorization: auth,
        cookie,
        password: body.password,
      };
      const stack = `Error: login failed for password=${body.password}\n    at check (/srv/app.js:12:3) Authorization: ${auth}\n    Cookie: ${cookie}`;
      switch (req.url) {
        case '/json':
          return void res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(echoed));
        case '/text':
          return void res.writeHead(401, { 'content-type': 'text/plain' }).end(stack);
        case '/garbled':
          return void res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(`{"broken": ${JSON.stringify(echoed)}`);
        default:
          return void res
            .writeHead(503, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ...echoed, pad: 'x'.repeat(1024 * 1024) }));
      }
    });
    const dir = configDir({ 'flows.hcl': FLOWS });
    const proc = await spawnDaemon(join(dir, 'flows.hcl'), { ECHO: echo.url });
    cleanup(() => proc.stop());

    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${TOKEN}`,
      cookie: `session=${COOKIE}`,
    };
    const statuses: number[] = [];
    for (const mode of ['json', 'text', 'garbled', 'huge']) {
      const res = await send(`http://${proc.address}/fail/${mode}`, {
        method: 'POST',
        headers: { ...headers, 'x-request-id': `leak-${mode}` },
        body: JSON.stringify({ password: PASSWORD }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([500, 401, 502, 503]);
    expect(echo.seen).toHaveLength(4);
    // Each request's completion line comes after its failure line.
    const completed = (id: string) => proc.logs.some((l) => l.msg === 'request completed' && l.requestId === id);
    await waitFor(
      () => ['json', 'text', 'garbled', 'huge'].every((mode) => completed(`leak-${mode}`)),
      'the four request lines',
    );

    const lines = proc.logs.map((l) => JSON.stringify(l));
    for (const line of lines) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain(COOKIE);
      expect(line).not.toContain(PASSWORD);
      expect(line.length).toBeLessThan(8_000);
    }
    // What is logged instead: status, size and a short excerpt of the upstream answer.
    const json = proc.logs.find((l) => l.requestId === 'leak-json' && l.err);
    expect(json?.err).toMatchObject({
      status: 500,
      upstream: { status: 500, size: expect.any(Number), excerpt: expect.stringContaining('[REDACTED]') },
    });
    const huge = proc.logs.find((l) => l.requestId === 'leak-huge' && l.err) as
      { err: { upstream: { size: number; excerpt: string } } } | undefined;
    expect(huge?.err.upstream.size).toBeGreaterThan(1024 * 1024);
    expect(huge?.err.upstream.excerpt.length).toBeLessThanOrEqual(201);
    const garbled = proc.logs.find((l) => l.requestId === 'leak-garbled' && l.err);
    expect(garbled?.err).toMatchObject({ status: 502, upstream: { excerpt: expect.stringContaining('[REDACTED]') } });
  });
});

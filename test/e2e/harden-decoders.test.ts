/**
 * Decoder limits through the real listener (issue #8): a form body or query string over
 * `max_fields` is 413, a form index over `max_array_index` or nesting over `max_depth`
 * is 400, each answer naming the limit, and no upstream is called. The 149 KB form that
 * once made a 500 MB answer is refused at once by a separate daemon process whose
 * /healthz keeps answering and whose memory (VmRSS from /proc) stays flat.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MB, spawnDaemon, within } from '../fixtures/proxy/helpers.js';
import { cleanup, configDir, daemon, send, sendJson, upstream } from './helpers.js';

const FORM = 'application/x-www-form-urlencoded';

const ECHO_FLOW = `
service "h" "Echo" {
  host = "$ECHO"
  method "Any" {
    options {
      endpoint = "/any"
      method   = "POST"
    }
  }
}

endpoint "echo" "http" {
  endpoint = "/echo"
  method   = "POST"
}

flow "echo" {
  input {}
  resource "echo" {
    request "h.Echo" "Any" {
      payload = "{{ input:. }}"
    }
  }
  output {
    echo = "{{ echo:payload }}"
  }
}

endpoint "decode" "http" {
  endpoint = "/decode"
  method   = "POST"
}

flow "decode" {
  input {}
  output {
    value = "{{ json_decode(input:text) }}"
  }
}
`;

/** The body that once took the daemon to 2 GB: 10,000 keys, each with index 10,000. */
function attackForm(keys = 10_000): string {
  const parts: string[] = [];
  for (let i = 0; i < keys; i++) parts.push(`k${i}[10000]=1`);
  return parts.join('&');
}

async function echoDaemon(http = '') {
  const echo = await upstream((_req, res, seen) => sendJson(res, 200, seen.body || '{}'));
  const dir = configDir({ 'flows.hcl': `${http}\n${ECHO_FLOW}` });
  const { base } = await daemon([join(dir, 'flows.hcl')], { ECHO: echo.url });
  return { base, echo };
}

describe('decoder limits', () => {
  it('answers the 10,000-key form with 413 naming max_fields, calling no upstream', async () => {
    const { base, echo } = await echoDaemon();
    const body = attackForm();
    expect(body.length).toBeGreaterThan(140_000);
    const res = await send(`${base}/echo`, { method: 'POST', headers: { 'content-type': FORM }, body });
    expect(res.status).toBe(413);
    expect(res.json()).toEqual({ status: 413, message: expect.stringContaining('max_fields = 1000') });
    expect(echo.seen).toHaveLength(0);
  });

  it('refuses an index over max_array_index with 400, and compacts sparse lists below it', async () => {
    const { base, echo } = await echoDaemon();
    const over = await send(`${base}/echo`, { method: 'POST', headers: { 'content-type': FORM }, body: 'a[10000]=1' });
    expect(over.status).toBe(400);
    expect(over.json<{ message: string }>().message).toContain('max_array_index = 1000');
    // 100 keys each naming index 999 decode into 100 one-element lists, not 100,000 slots.
    const sparse = Array.from({ length: 100 }, (_, i) => `k${i}[999]=v${i}`).join('&');
    const res = await send(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: `${sparse}&list[5]=b&list[2]=a`,
    });
    expect(res.status).toBe(200);
    const echoed = res.json<{ echo: Record<string, unknown[]> }>().echo;
    expect(echoed.k0).toEqual(['v0']);
    expect(echoed.k99).toEqual(['v99']);
    expect(echoed.list).toEqual(['a', 'b']);
    expect(res.raw.length).toBeLessThan(3 * sparse.length);
    expect(echo.seen).toHaveLength(1);
  });

  it('takes its limits from http { } and names them in the answer', async () => {
    const { base, echo } = await echoDaemon('http {\n  max_fields = 3\n  max_array_index = 5\n  max_depth = 4\n}');
    const cases: Array<[string, string, number, string]> = [
      [FORM, 'a=1&b=2&c=3&d=4', 413, 'max_fields = 3'],
      [FORM, 'a[6]=1', 400, 'max_array_index = 5'],
      [FORM, 'a.b.c.d.e=1', 400, 'max_depth = 4'],
      ['application/json', '{"a":{"b":{"c":{"d":{"e":1}}}}}', 400, 'max_depth = 4'],
      ['application/xml', '<r><a><b><c><d><e>1</e></d></c></b></a></r>', 400, 'max_depth = 4'],
    ];
    for (const [type, body, status, limit] of cases) {
      const res = await send(`${base}/echo`, { method: 'POST', headers: { 'content-type': type }, body });
      expect({ body, status: res.status, message: res.json<{ message: string }>().message }).toEqual({
        body,
        status,
        message: expect.stringContaining(limit),
      });
    }
    const ok = await send(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: 'a=1&b[5]=2&c.d=3',
    });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ echo: { a: '1', b: ['2'], c: { d: '3' } } });
    expect(echo.seen).toHaveLength(1);
  });

  it('answers a body over body_limit with 413 naming it', async () => {
    const { base, echo } = await echoDaemon('http {\n  body_limit = "1KB"\n}');
    const res = await send(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 'x'.repeat(2_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.json()).toEqual({
      status: 413,
      message: 'request body is larger than 1 KB (limit body_limit = 1024 in http { })',
    });
    expect(echo.seen).toHaveLength(0);
  });

  it('answers a query string over max_fields with 413 before the flow runs', async () => {
    const { base, echo } = await echoDaemon('http {\n  max_fields = 50\n}');
    const query = Array.from({ length: 51 }, (_, i) => `q${i}=${i}`).join('&');
    const res = await send(`${base}/echo?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(413);
    expect(res.json<{ message: string }>().message).toContain('query string has more than 50 fields');
    const fine = await send(`${base}/echo?${query.slice(0, query.lastIndexOf('&'))}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(fine.status).toBe(200);
    expect(echo.seen).toHaveLength(1);
  });

  it('json_decode() of a deeply nested string is a 400, not a 500', async () => {
    const { base } = await echoDaemon();
    const text = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const res = await send(`${base}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    expect(res.status).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(/json_decode.*nested more than 512/);
    const ok = await send(`${base}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '{"a":[1,2]}' }),
    });
    expect(ok.json()).toEqual({ value: { a: [1, 2] } });
  });
});

describe('the 149 KB form against a daemon process', () => {
  it('is refused at once while /healthz answers, four at a time, with RSS within 100 MB of idle', async () => {
    const echo = await upstream((_req, res, seen) => sendJson(res, 200, seen.body || '{}'));
    const dir = configDir({ 'flows.hcl': ECHO_FLOW });
    const proc = await spawnDaemon(join(dir, 'flows.hcl'), { ECHO: echo.url });
    cleanup(() => proc.stop());
    const base = `http://${proc.address}`;
    const body = attackForm();
    // Warm up the paths the requests take, so that the baseline includes them.
    await send(`${base}/echo`, { method: 'POST', headers: { 'content-type': FORM }, body });
    await send(`${base}/echo`, { method: 'POST', headers: { 'content-type': FORM }, body: 'a=1' });
    const idle = proc.rss();
    let peak = idle;
    for (let round = 0; round < 5; round++) {
      const attacks = Array.from({ length: 4 }, () =>
        send(`${base}/echo`, { method: 'POST', headers: { 'content-type': FORM }, body }),
      );
      const health = send(`${base}/healthz`);
      const [answers, healthz] = await within(
        Promise.all([Promise.all(attacks), health]),
        10_000,
        'four attacks and /healthz',
      );
      peak = Math.max(peak, proc.rss());
      expect(healthz.status).toBe(200);
      expect(answers.map((a) => a.status)).toEqual([413, 413, 413, 413]);
    }
    console.log(
      `149 KB form ×4 ×5 rounds: daemon pid ${proc.pid} RSS idle ${(idle / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB`,
    );
    expect(peak - idle).toBeLessThan(100 * MB);
    expect(echo.seen.filter((s) => s.body.length > 1_000)).toHaveLength(0);
  });
});

/**
 * Endpoint rate limits end to end (issue 14), counted in the daemon itself: the real
 * daemon in front of a real upstream. Over the limit the answer is 429 with Retry-After
 * and the IETF RateLimit fields, the flow does not run and the upstream sees nothing;
 * per-client keys (a header, the client address) count separately; gRPC answers
 * RESOURCE_EXHAUSTED and GraphQL an error with its code.
 */
import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { callUnary, loadProto, serviceConstructor } from '../fixtures/grpc/helpers.js';
import { cleanup, configDir, daemon, send, sendJson, upstream, type Answer } from './helpers.js';

const SERVICE = `
service "shop" "Items" {
  transport = "http"
  host      = "$UPSTREAM"

  method "Get" {
    options {
      endpoint = "/items"
      method   = "GET"
    }
  }
}
`;

const FLOW = `
flow "items" {
  input {
    header = ["X-Api-Key"]
  }

  resource "items" {
    request "shop.Items" "Get" {}
  }

  output {
    name = "{{ items:name }}"
  }
}
`;

async function items() {
  return upstream((_req, res) => sendJson(res, 200, { name: 'lamp' }));
}

function statuses(answers: Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

describe('endpoint rate_limit', () => {
  it('answers exactly 5 of 8 requests, refuses 3 with 429 and the RateLimit headers, and the upstream sees 5', async () => {
    const shop = await items();
    const dir = configDir({
      'config.hcl': `${SERVICE}${FLOW}
endpoint "items" "http" {
  endpoint = "/items"
  method   = "GET"

  rate_limit {
    requests = 5
    every    = "1m"
  }
}
`,
    });
    const { base } = await daemon([join(dir, 'config.hcl')], { UPSTREAM: shop.url }, dir);
    const answers: Answer[] = [];
    for (let i = 0; i < 8; i++) answers.push(await send(`${base}/items`));

    expect(statuses(answers)).toEqual({ 200: 5, 429: 3 });
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(shop.seen).toHaveLength(5);
    expect(answers[4]!.headers['ratelimit-policy']).toBe('"default";q=5;w=60');
    expect(answers[4]!.headers.ratelimit).toMatch(/^"default";r=0;t=\d+$/);
    for (const refused of answers.slice(5)) {
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(12); // one token every 12 s
      expect(refused.headers['ratelimit-policy']).toBe('"default";q=5;w=60');
      expect(refused.headers.ratelimit).toMatch(/^"default";r=0;t=\d+$/);
      expect(refused.json()).toEqual({ status: 429, message: expect.stringContaining('rate limit exceeded') });
    }
  });

  it('counts each X-Api-Key separately, with a burst above the rate', async () => {
    const shop = await items();
    const dir = configDir({
      'config.hcl': `${SERVICE}${FLOW}
endpoint "items" "http" {
  endpoint = "/items"
  method   = "GET"

  rate_limit {
    requests = 1
    every    = "1h"
    burst    = 2
    key      = "{{ input.header:X-Api-Key }}"
  }
}
`,
    });
    const { base } = await daemon([join(dir, 'config.hcl')], { UPSTREAM: shop.url }, dir);
    const as = (key: string) => send(`${base}/items`, { headers: { 'x-api-key': key } });
    const ann = [await as('ann'), await as('ann'), await as('ann')];
    const bob = [await as('bob'), await as('bob')];
    expect(ann.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(bob.map((a) => a.status)).toEqual([200, 200]);
    expect(ann[2]!.headers['ratelimit-policy']).toBe('"default";q=1;w=3600');
    expect(shop.seen).toHaveLength(4);

    const metrics = (await send(`${base}/metrics`)).text;
    expect(metrics).toContain(
      'maestro_rate_limited_total{protocol="http",endpoint="GET /items",key="{{ input.header:X-Api-Key }}"} 1',
    );
  });

  it('keys by a function result: {{ lower(input.header:X-Tenant) }} puts ACME and acme in one bucket', async () => {
    const shop = await items();
    const dir = configDir({
      'config.hcl': `${SERVICE}${FLOW}
endpoint "items" "http" {
  endpoint = "/items"
  method   = "GET"

  rate_limit {
    requests = 2
    every    = "1h"
    key      = "{{ lower(input.header:X-Tenant) }}"
  }
}
`,
    });
    const { base } = await daemon([join(dir, 'config.hcl')], { UPSTREAM: shop.url }, dir);
    const as = (tenant: string) => send(`${base}/items`, { headers: { 'x-tenant': tenant } });
    const answers = [await as('ACME'), await as('acme'), await as('Acme'), await as('other')];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429, 200]);
    expect(shop.seen).toHaveLength(3);
  });

  it('keys by the client address with {{ input.remote:address }}', async () => {
    const shop = await items();
    const dir = configDir({
      'config.hcl': `${SERVICE}${FLOW}
endpoint "items" "http" {
  endpoint = "/items"
  method   = "GET"

  rate_limit {
    requests = 2
    every    = "1h"
    key      = "client-{{ input.remote:address }}"
  }
}
`,
    });
    const { base } = await daemon([join(dir, 'config.hcl')], { UPSTREAM: shop.url }, dir);
    const answers = [await send(`${base}/items`), await send(`${base}/items`), await send(`${base}/items`)];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(shop.seen).toHaveLength(2);
  });

  it('refuses over gRPC with RESOURCE_EXHAUSTED and over GraphQL with an error carrying the code', async () => {
    const shop = await items();
    const dir = configDir({
      'items.proto': `syntax = "proto3";
package t;
message Query { string id = 1; }
message Item { string name = 1; }
service Catalog { rpc Get (Query) returns (Item); }
`,
      'config.hcl': `protobuffers = ["./items.proto"]
${SERVICE}
flow "item" {
  input "t.Query" {}

  resource "items" {
    request "shop.Items" "Get" {}
  }

  output "t.Item" {
    name = "{{ items:name }}"
  }
}

endpoint "item" "grpc" {
  package = "t"
  service = "Catalog"
  method  = "Get"

  rate_limit {
    requests = 1
    every    = "1h"
  }
}

endpoint "item" "graphql" {
  path = "item"

  rate_limit {
    requests = 1
    every    = "1h"
  }
}
`,
    });
    const started = await startDaemon({
      config: [join(dir, 'config.hcl')],
      env: { ...process.env, UPSTREAM: shop.url },
      cwd: dir,
      grpc: '127.0.0.1:0',
      graphql: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
    });
    cleanup(() => started.close());

    const Catalog = serviceConstructor(loadProto(join(dir, 'items.proto')), 't.Catalog');
    const client = new Catalog(started.addresses.grpc!, grpc.credentials.createInsecure());
    cleanup(() => client.close());
    const first = await callUnary(client, 'Get', { id: '1' });
    const second = await callUnary(client, 'Get', { id: '1' });
    expect(first.error).toBeNull();
    expect(first.response).toEqual({ name: 'lamp' });
    expect(second.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(second.error?.metadata.get('retry-after')[0]).toMatch(/^\d+$/);

    const query = () =>
      send(`http://${started.addresses.graphql!}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query: '{ item(id: "1") { name } }' }),
      });
    const ok = (await query()).json<{ data: unknown }>();
    expect(ok.data).toEqual({ item: { name: 'lamp' } });
    const refused = (await query()).json<{ errors: Array<{ message: string; extensions: Record<string, unknown> }> }>();
    expect(refused.errors[0]!.message).toContain('rate limit exceeded');
    expect(refused.errors[0]!.extensions).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(shop.seen).toHaveLength(2); // one gRPC call, one GraphQL call
  });

  it('limits a proxy endpoint: the refused request is never forwarded', async () => {
    const hub = await upstream((_req, res) => sendJson(res, 200, { from: 'hub' }));
    const dir = configDir({
      'config.hcl': `
service "hub" "Hub" {
  transport = "http"
  host      = "$UPSTREAM"
}

endpoint "gateway" "http" {
  endpoint = "/v1/*path"
  method   = "*"

  rate_limit {
    requests = 1
    every    = "1h"
  }
}

proxy "gateway" {
  input {}

  forward "hub.Hub" {}
}
`,
    });
    const { base } = await daemon([join(dir, 'config.hcl')], { UPSTREAM: hub.url }, dir);
    const first = await send(`${base}/v1/a`);
    const second = await send(`${base}/v1/b`);
    expect(first.json()).toEqual({ from: 'hub' });
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toMatch(/^\d+$/);
    expect(hub.seen.map((s) => s.url)).toEqual(['/v1/a']);
    // The RateLimit fields of a proxy's flow are not forwarded upstream.
    expect(hub.seen[0]!.headers.ratelimit).toBeUndefined();
  });
});

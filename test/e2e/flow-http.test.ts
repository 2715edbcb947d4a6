/**
 * What an HTTP endpoint gives a flow and takes back, end to end: path and query
 * parameters reach the input (a body field of the same name wins), declared headers are
 * readable and forwarded only where the flow says, the endpoint's success status and
 * the output's headers are sent; `before` runs first and `if` skips what it guards.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  configDir,
  daemon,
  deferred,
  FLOW_FIXTURES,
  orAfter,
  postJson,
  sendJson,
  upstream,
  type Upstream,
} from './helpers.js';

const CONFIG = [join(FLOW_FIXTURES, 'http.hcl')];

/**
 * The shop upstream. The auth call holds its answer until another call arrives (or a
 * short safety window passes): if `before` did not hold the others back, one of them
 * would arrive while auth is unanswered, and the log would show it.
 */
async function shop(): Promise<{ shop: Upstream; log: string[] }> {
  const log: string[] = [];
  const other = deferred();
  const server = await upstream(
    async (req, res, seen) => {
      if (seen.url === '/auth') {
        await orAfter(other.promise, 150, undefined);
        res.once('finish', () => log.push('auth answered'));
        if (req.headers.authorization !== 'Bearer ok') return sendJson(res, 401, { message: 'who are you?' });
        return sendJson(res, 200, { user: 'ann' });
      }
      other.resolve();
      if (seen.url.startsWith('/stores/'))
        return sendJson(res, 200, { sku: seen.url.split('/')[4]!.split('?')[0], price: 25 }, { etag: 'v7' });
      if (seen.url === '/orders') return sendJson(res, 200, { id: 'ord-1' });
      if (seen.url === '/shipments') return sendJson(res, 200, { id: 'sh-1' });
      if (seen.url === '/audit') return sendJson(res, 200, {});
      sendJson(res, 404, { message: 'no route' });
    },
    { log, name: 'shop' },
  );
  return { shop: server, log };
}

const call = (shopServer: Upstream, path: string) => shopServer.seen.find((s) => s.url.split('?')[0] === path);

describe('flows: HTTP endpoints', () => {
  it('passes path, query and declared headers in; answers the endpoint status and output headers', async () => {
    const { shop: server, log } = await shop();
    const { base } = await daemon(CONFIG, { UPSTREAM_SHOP: server.url });

    const res = await postJson(
      `${base}/stores/s1/orders?page=2&note=from-query`,
      { sku: 'lamp', express: true, note: 'from body' },
      {
        authorization: 'Bearer ok',
        'x-tenant': 'acme',
        'x-secret': 'hush',
      },
    );
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe('/orders/ord-1');
    expect(res.headers['x-order']).toBe('ord-1');
    expect(res.headers['x-item-etag']).toBe('v7');
    expect(res.json()).toEqual({
      id: 'ord-1',
      store: 's1',
      page: '2',
      note: 'from body',
      tenant: 'acme',
      user: 'ann',
      shipment: 'sh-1',
    });

    // before: auth was answered before anything else arrived.
    expect(log[0]).toBe('shop GET /auth');
    expect(log[1]).toBe('auth answered');
    expect(log.slice(2).sort()).toEqual([
      'shop GET /stores/s1/items/lamp?page=2',
      'shop POST /audit',
      'shop POST /orders',
      'shop POST /shipments',
    ]);

    const item = call(server, '/stores/s1/items/lamp')!;
    expect(item.url).toBe('/stores/s1/items/lamp?page=2');
    expect(item.headers).toMatchObject({ 'x-tenant': 'acme', 'x-user': 'ann' });
    expect(JSON.parse(call(server, '/orders')!.body)).toEqual({
      sku: 'lamp',
      price: 25,
      note: 'from body',
      page: '2',
      express: true,
    });
    expect(JSON.parse(call(server, '/audit')!.body)).toEqual({ event: 'order', store: 's1' });
    expect(JSON.parse(call(server, '/shipments')!.body)).toEqual({ order: 'ord-1' });
    expect(call(server, '/auth')!.headers.authorization).toBe('Bearer ok');
    // Headers reach upstreams only where the flow puts them.
    for (const seen of server.seen) {
      expect(seen.headers['x-secret']).toBeUndefined();
      if (seen.url !== '/auth') expect(seen.headers.authorization).toBeUndefined();
      if (seen.url !== '/stores/s1/items/lamp?page=2') expect(seen.headers['x-tenant']).toBeUndefined();
    }
  });

  it('skips the resources of a false `if`; their fields are absent', async () => {
    const { shop: server } = await shop();
    const { base } = await daemon(CONFIG, { UPSTREAM_SHOP: server.url });

    const res = await postJson(
      `${base}/stores/s2/orders`,
      { sku: 'chair', express: false },
      { authorization: 'Bearer ok' },
    );
    expect(res.status).toBe(201);
    expect(res.json()).toEqual({ id: 'ord-1', store: 's2', user: 'ann' });
    expect(call(server, '/shipments')).toBeUndefined();
    expect(server.seen.map((s) => s.url).sort()).toEqual(['/audit', '/auth', '/orders', '/stores/s2/items/chair']);
  });

  it('stops at a failing `before` resource: nothing else is called', async () => {
    const { shop: server } = await shop();
    const { base } = await daemon(CONFIG, { UPSTREAM_SHOP: server.url });

    const res = await postJson(`${base}/stores/s1/orders`, { sku: 'lamp' }, { authorization: 'Bearer wrong' });
    expect(res.status).toBe(401);
    // The status text, as Semaphore answered: the upstream's own text is not passed on unmapped.
    expect(res.json()).toEqual({ status: 401, message: 'Unauthorized' });
    expect(res.text).not.toContain('who are you?');
    expect(server.seen.map((s) => s.url)).toEqual(['/auth']);
  });

  it('refuses to start a flow that reads a header its input does not declare', async () => {
    const dir = configDir({
      'flow.hcl': `
endpoint "peek" "http" {
  endpoint = "/peek"
  method   = "GET"
}

flow "peek" {
  input {
    header = ["X-Tenant"]
  }

  output {
    tenant = "{{ input.header:X-Tenant }}"
    secret = "{{ input.header:X-Secret }}"
  }
}
`,
    });
    await expect(daemon([join(dir, 'flow.hcl')], {}, dir)).rejects.toThrow(
      /flow\.hcl:14: header "X-Secret" is not declared in the input of flow "peek"/,
    );
  });
});

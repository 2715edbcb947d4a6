/**
 * Response caching and request coalescing end to end (issue 14): the real daemon in front
 * of a real upstream that counts its calls. Identical reads within the ttl reach the
 * upstream once, in memory and in the real Redis on 127.0.0.1:6379 (a key prefix of its
 * own per run); 50 concurrent identical reads share one call; `no-store`, `max-age=0` and
 * errors are not kept.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { configDir, daemon, deferred, send, sendJson, upstream, waitFor, type Seen } from './helpers.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

async function redisReachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
const hasRedis = await redisReachable();
if (!hasRedis) console.warn(`SKIPPED: the Redis cache test needs Redis at ${REDIS_URL}, which is not reachable`);

function config(cacheBlock: string, extra = ''): string {
  return `${extra}
service "shop" "Items" {
  transport = "http"
  host      = "$UPSTREAM"

  method "Get" {
    options {
      endpoint = "/items/:id"
      method   = "GET"
    }
  }
}

endpoint "item" "http" {
  endpoint = "/items/:id"
  method   = "GET"
}

flow "item" {
  input {}

  resource "item" {
    request "shop.Items" "Get" {
      params {
        id = "{{ input:id }}"
      }
    }
    ${cacheBlock}
  }

  output {
    name = "{{ item:name }}"
  }
}
`;
}

const CACHE_30S = `cache {
      ttl = "30s"
    }`;

async function start(
  hcl: string,
  handler: (seen: Seen, count: number) => { status: number; headers?: Record<string, string> },
) {
  let count = 0;
  const shop = await upstream((_req, res, seen) => {
    count++;
    const { status, headers } = handler(seen, count);
    sendJson(
      res,
      status,
      status < 300 ? { name: `item ${seen.url.split('/').pop()}` } : { message: 'broken' },
      headers,
    );
  });
  const dir = configDir({ 'config.hcl': hcl });
  const { base } = await daemon([join(dir, 'config.hcl')], { UPSTREAM: shop.url }, dir);
  return { shop, base };
}

describe('response cache', () => {
  it('answers two identical reads within the ttl with one upstream call, and different reads with their own', async () => {
    const { shop, base } = await start(config(CACHE_30S), () => ({ status: 200 }));
    const first = await send(`${base}/items/7`);
    const second = await send(`${base}/items/7`);
    expect(first.json()).toEqual({ name: 'item 7' });
    expect(second.json()).toEqual({ name: 'item 7' });
    expect(shop.seen).toHaveLength(1);
    expect((await send(`${base}/items/8`)).json()).toEqual({ name: 'item 8' });
    expect(shop.seen.map((s) => s.url)).toEqual(['/items/7', '/items/8']);
    const metrics = (await send(`${base}/metrics`)).text;
    expect(metrics).toContain('maestro_cache_lookups_total{flow="item",resource="item",result="hit"} 1');
    expect(metrics).toContain('maestro_cache_lookups_total{flow="item",resource="item",result="miss"} 2');
  });

  it('sends 50 concurrent identical reads upstream once', async () => {
    const release = deferred();
    let count = 0;
    const shop = await upstream(async (_req, res) => {
      count++;
      await release.promise;
      sendJson(res, 200, { name: 'shared' });
    });
    const dir = configDir({ 'config.hcl': config(CACHE_30S) });
    const { base } = await daemon([join(dir, 'config.hcl')], { UPSTREAM: shop.url }, dir);
    const answers = Array.from({ length: 50 }, () => send(`${base}/items/1`));
    // The upstream holds its answer until the other 49 have joined the call in flight.
    await waitFor(
      async () =>
        (await send(`${base}/metrics`)).text.includes('maestro_cache_coalesced_total{flow="item",resource="item"} 49'),
      '49 coalesced calls',
      20_000,
    );
    release.resolve();
    const done = await Promise.all(answers);
    expect(done.map((a) => a.status)).toEqual(new Array(50).fill(200));
    expect(new Set(done.map((a) => a.text))).toEqual(new Set(['{"name":"shared"}']));
    expect(count).toBe(1);
    expect(shop.seen).toHaveLength(1);
  });

  it('does not keep an answer marked Cache-Control: no-store, or max-age=0', async () => {
    for (const control of ['no-store', 'max-age=0', 'private, max-age=60']) {
      const { shop, base } = await start(config(CACHE_30S), () => ({
        status: 200,
        headers: { 'cache-control': control },
      }));
      await send(`${base}/items/1`);
      await send(`${base}/items/1`);
      expect(shop.seen, control).toHaveLength(2);
    }
  });

  it('keeps an answer with max-age within the ttl', async () => {
    const { shop, base } = await start(config(CACHE_30S), () => ({
      status: 200,
      headers: { 'cache-control': 'public, max-age=60' },
    }));
    await send(`${base}/items/1`);
    await send(`${base}/items/1`);
    expect(shop.seen).toHaveLength(1);
  });

  it('never keeps an error', async () => {
    const { shop, base } = await start(config(CACHE_30S), (_seen, n) => ({ status: n === 1 ? 500 : 200 }));
    const failed = await send(`${base}/items/1`);
    expect(failed.status).toBe(500);
    expect((await send(`${base}/items/1`)).json()).toEqual({ name: 'item 1' });
    expect((await send(`${base}/items/1`)).json()).toEqual({ name: 'item 1' });
    expect(shop.seen).toHaveLength(2);
  });

  it('names entries by a key template, and inherits the cache of a service method', async () => {
    const keyed = await start(
      config(`cache {
      ttl = "30s"
      key = "{{ input:id }}"
    }`),
      () => ({ status: 200 }),
    );
    await send(`${keyed.base}/items/1?page=1`);
    await send(`${keyed.base}/items/1?page=2`);
    expect(keyed.shop.seen).toHaveLength(1);

    const hcl = config('').replace(
      `      method   = "GET"
    }
  }`,
      `      method   = "GET"
    }

    cache {
      ttl = "30s"
    }
  }`,
    );
    const inherited = await start(hcl, () => ({ status: 200 }));
    await send(`${inherited.base}/items/3`);
    await send(`${inherited.base}/items/3`);
    expect(inherited.shop.seen).toHaveLength(1);
  });

  it.skipIf(!hasRedis)(
    'keeps answers in Redis when a rate_limit_store is set: a second daemon finds them',
    async () => {
      const prefix = `maestro-test-${randomUUID()}:`;
      const store = `rate_limit_store {
  redis  = "${REDIS_URL}"
  prefix = "${prefix}"
}
`;
      let count = 0;
      const shop = await upstream((_req, res) => {
        count++;
        sendJson(res, 200, { name: 'from redis' });
      });
      const dir = configDir({ 'config.hcl': config(CACHE_30S, store) });
      const one = await daemon([join(dir, 'config.hcl')], { UPSTREAM: shop.url }, dir);
      const two = await daemon([join(dir, 'config.hcl')], { UPSTREAM: shop.url }, dir);
      const redis = new Redis(REDIS_URL);
      try {
        expect((await send(`${one.base}/items/5`)).json()).toEqual({ name: 'from redis' });
        expect((await send(`${two.base}/items/5`)).json()).toEqual({ name: 'from redis' });
        expect(count).toBe(1);
        const keys = await redis.keys(`${prefix}cache:*`);
        expect(keys).toHaveLength(1);
        const ttl = await redis.pttl(keys[0]!);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(30_000);
      } finally {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
    },
  );
});

/**
 * Service limits end to end (issue 14): `max_in_flight` and `rate_limit` on a service
 * protect its upstream. A call beyond them waits at most `max_wait`, then fails with 503;
 * its flow fails, so the rollbacks of what already succeeded run — the upstream's log
 * proves it. A call whose token comes within `max_wait` waits and passes.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDir, daemon, deferred, postJson, send, sendJson, upstream, waitFor } from './helpers.js';

function config(limits: string): string {
  return `
service "shop" "Store" {
  transport = "http"
  host      = "$UPSTREAM"

  method "Reserve" {
    options {
      endpoint = "/reserve"
      method   = "POST"
    }
  }

  method "Release" {
    options {
      endpoint = "/release"
      method   = "POST"
    }
  }
}

service "shop" "Prices" {
  transport = "http"
  host      = "$UPSTREAM"
  ${limits}

  method "Quote" {
    options {
      endpoint = "/quote"
      method   = "POST"
    }
  }
}

endpoint "order" "http" {
  endpoint = "/orders"
  method   = "POST"
}

flow "order" {
  input {}

  resource "reserve" {
    request "shop.Store" "Reserve" {
      order = "{{ input:order }}"
    }

    rollback "shop.Store" "Release" {
      reservation = "{{ reserve:id }}"
    }
  }

  resource "quote" {
    request "shop.Prices" "Quote" {
      reservation = "{{ reserve:id }}"
    }
  }

  output {
    price = "{{ quote:price }}"
  }
}
`;
}

describe('service limits', () => {
  it('max_in_flight: a call beyond it waits max_wait, fails with 503, and the rollbacks run', async () => {
    const hold = deferred();
    const shop = await upstream(async (_req, res, seen) => {
      const body = JSON.parse(seen.body || '{}') as Record<string, string>;
      if (seen.url === '/reserve') return sendJson(res, 200, { id: `r-${body.order}` });
      if (seen.url === '/release') return sendJson(res, 200, {});
      await hold.promise;
      return sendJson(res, 200, { price: 10 });
    });
    const dir = configDir({ 'config.hcl': config('max_in_flight = 1\n  max_wait = "100ms"') });
    const { base } = await daemon([join(dir, 'config.hcl')], { UPSTREAM: shop.url }, dir);

    const first = postJson(`${base}/orders`, { order: 'a' });
    await waitFor(() => shop.seen.some((s) => s.url === '/quote'), 'the first quote to hold the only slot');
    const second = await postJson(`${base}/orders`, { order: 'b' });
    expect(second.status).toBe(503);
    expect(second.json<{ message: string }>().message).toContain('max_in_flight');
    expect(hold.settled).toBe(false); // answered while the first call still held the slot
    await waitFor(() => shop.seen.some((s) => s.url === '/release'), 'the rollback of the refused order');
    expect(JSON.parse(shop.seen.find((s) => s.url === '/release')!.body)).toEqual({ reservation: 'r-b' });

    hold.resolve();
    expect((await first).json()).toEqual({ price: 10 });
    expect(shop.seen.filter((s) => s.url === '/quote')).toHaveLength(1);
    const metrics = (await send(`${base}/metrics`)).text;
    expect(metrics).toContain('maestro_service_limited_total{service="shop.Prices",reason="max_in_flight"} 1');
  });

  it('rate_limit: a call whose token comes after max_wait fails with 503 at once; one within it waits and passes', async () => {
    const shop = await upstream((_req, res, seen) => {
      if (seen.url === '/reserve') return sendJson(res, 200, { id: 'r' });
      if (seen.url === '/release') return sendJson(res, 200, {});
      return sendJson(res, 200, { price: 3 });
    });
    const slow = configDir({
      'config.hcl': config('max_wait = "50ms"\n\n  rate_limit {\n    requests = 1\n    every    = "1h"\n  }'),
    });
    const strict = await daemon([join(slow, 'config.hcl')], { UPSTREAM: shop.url }, slow);
    expect((await postJson(`${strict.base}/orders`, { order: 'a' })).status).toBe(200);
    const refused = await postJson(`${strict.base}/orders`, { order: 'b' });
    expect(refused.status).toBe(503);
    expect(refused.json<{ message: string }>().message).toContain('rate limit');
    await waitFor(() => shop.seen.some((s) => s.url === '/release'), 'the rollback of the refused order');
    expect(shop.seen.filter((s) => s.url === '/quote')).toHaveLength(1);

    // 20 per second with no burst: the second call's token comes ~50 ms later, within max_wait.
    const fast = configDir({
      'config.hcl': config(
        'max_wait = "5s"\n\n  rate_limit {\n    requests = 20\n    every    = "1s"\n    burst    = 1\n  }',
      ),
    });
    const patient = await daemon([join(fast, 'config.hcl')], { UPSTREAM: shop.url }, fast);
    const both = await Promise.all([
      postJson(`${patient.base}/orders`, { order: 'c' }),
      postJson(`${patient.base}/orders`, { order: 'd' }),
    ]);
    expect(both.map((a) => a.status)).toEqual([200, 200]);
    expect(shop.seen.filter((s) => s.url === '/quote')).toHaveLength(3);
  });
});

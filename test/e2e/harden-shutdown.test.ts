/**
 * Bounded shutdown against a daemon process (issue #8). SIGTERM lets an in-flight flow
 * finish within the grace period; a flow stuck on a hung upstream is aborted when the
 * grace period ends — its client gets a 503, the rollbacks of its succeeded resources
 * arrive — and the process exits with a log line naming what was cut short; a rollback
 * that hangs too is cut short by the second bound. Times are bounds, never figures.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnDaemon, within } from '../fixtures/proxy/helpers.js';
import { cleanup, configDir, deferred, postJson, sendJson, upstream, waitFor } from './helpers.js';

const SHOP = `
log_level = "info"

service "h" "Shop" {
  host    = "$SHOP"
  timeout = "60s"
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
  method "Pay" {
    options {
      endpoint = "/pay"
      method   = "POST"
    }
  }
}

endpoint "order" "http" {
  endpoint = "/order"
  method   = "POST"
}

flow "order" {
  resource "reserve" {
    request "h.Shop" "Reserve" {
      sku = "L1"
    }
    rollback "h.Shop" "Release" {
      id = "{{ reserve:id }}"
    }
  }
  resource "pay" {
    depends_on = ["reserve"]
    request "h.Shop" "Pay" {}
  }
  output {
    id = "{{ reserve:id }}"
  }
}
`;

/** The shop upstream: /pay waits for `pay`, /release for `release` (both resolved at cleanup). */
async function shop() {
  const pay = deferred();
  const release = deferred();
  cleanup(() => {
    pay.resolve();
    release.resolve();
  });
  const server = await upstream(async (req, res) => {
    if (req.url === '/pay') await pay.promise;
    if (req.url === '/release') await release.promise;
    sendJson(res, 200, { id: 'r-1' });
  });
  return { server, pay, release };
}

async function start(shopUrl: string, grace: string, rollbackBound: string) {
  const dir = configDir({ 'flows.hcl': SHOP });
  const proc = await spawnDaemon(join(dir, 'flows.hcl'), { SHOP: shopUrl }, [
    '--shutdown-timeout',
    grace,
    '--shutdown-rollback-timeout',
    rollbackBound,
  ]);
  cleanup(() => proc.stop());
  return proc;
}

describe('bounded shutdown', () => {
  it('lets an in-flight flow finish within the grace period', async () => {
    const { server, pay } = await shop();
    const proc = await start(server.url, '20s', '5s');
    const answer = postJson(`http://${proc.address}/order`, {}, { 'x-request-id': 'finishes-1' });
    await waitFor(() => server.seen.some((s) => s.url === '/pay'), 'the pay call');
    const stopped = proc.stop();
    await proc.waitForLog((l) => String(l.msg).startsWith('shutting down'));
    pay.resolve();
    expect((await answer).status).toBe(200);
    expect(await stopped).toBe(0);
    expect(proc.logs.at(-1)).toMatchObject({ msg: 'maestro stopped' });
    expect(server.seen.map((s) => s.url)).toEqual(['/reserve', '/pay']);
  });

  it('aborts a flow stuck on a hung upstream when the grace period ends, runs its rollbacks and exits naming it', async () => {
    const { server, release } = await shop();
    release.resolve();
    const proc = await start(server.url, '2s', '5s');
    const answer = postJson(`http://${proc.address}/order`, {}, { 'x-request-id': 'hung-1' });
    await waitFor(() => server.seen.some((s) => s.url === '/pay'), 'the pay call');
    const signalled = Date.now();
    const code = await within(proc.stop(), 9_000, 'the daemon to exit');
    const took = Date.now() - signalled;
    // The grace period (2 s) plus a margin, far below the upstream call's 60 s timeout.
    expect(took).toBeLessThan(8_000);
    expect(took).toBeGreaterThanOrEqual(1_900);
    expect(code).toBe(0);

    const res = await answer;
    expect(res.status).toBe(503);
    expect(res.json()).toEqual({
      status: 503,
      message: 'maestro is shutting down: flow "order" was cut short after the grace period',
    });
    expect(server.seen.map((s) => s.url)).toEqual(['/reserve', '/pay', '/release']);
    expect(JSON.parse(server.seen[2]!.body)).toEqual({ id: 'r-1' });
    expect(proc.logs).toContainEqual(
      expect.objectContaining({
        msg: expect.stringMatching(
          /grace period of 2000 ms ended: aborting 1 in-flight flow\(s\): order request hung-1/,
        ),
      }),
    );
    expect(proc.logs.at(-1)).toMatchObject({ msg: 'maestro stopped: 1 flow(s) cut short (order request hung-1)' });
  });

  it('cuts short a rollback that hangs too, after the second bound, and names it', async () => {
    const { server } = await shop();
    const proc = await start(server.url, '1s', '1s');
    const answer = postJson(`http://${proc.address}/order`, {}, { 'x-request-id': 'hung-2' });
    await waitFor(() => server.seen.some((s) => s.url === '/pay'), 'the pay call');
    const signalled = Date.now();
    expect(await within(proc.stop(), 9_000, 'the daemon to exit')).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(8_000);
    expect((await answer).status).toBe(503);
    expect(server.seen.map((s) => s.url)).toEqual(['/reserve', '/pay', '/release']);
    expect(proc.logs).toContainEqual(
      expect.objectContaining({ msg: 'rollback failed', flow: 'order', resource: 'reserve', requestId: 'hung-2' }),
    );
    expect(proc.logs.at(-1)).toMatchObject({
      msg: 'maestro stopped: 1 flow(s) cut short (order request hung-2); 1 rollback(s) cut short (order/reserve request hung-2)',
    });
  });
});

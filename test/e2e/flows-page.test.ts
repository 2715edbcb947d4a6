/**
 * The /flows page in a real browser: headless Chromium opens it from the daemon (the
 * bundled shop example against its mock upstream), finds every flow and every resource
 * in the pictures and the tables, sees the figures move after traffic (including an
 * error and a rollback's flow), and takes a screenshot. Anything the page tries to load
 * from elsewhere fails the test: it must work offline. The metrics listener serves the
 * same page. Skipped, saying why, when /usr/bin/chromium is absent.
 */
import { existsSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { postJson, send } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`skipping the /flows page browser test: ${CHROMIUM} is absent (apt-get install -y chromium)`);
const root = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOT = '/tmp/maestro-flows-page.png';
const FLOWS = ['order', 'product'];
const RESOURCES = ['reservation', 'charge', 'product', 'stock', 'reviews'];

describe.skipIf(!hasChromium)('/flows page in headless Chromium', () => {
  let upstream: Server;
  let daemon: Daemon;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    const { startUpstream } = (await import(join(root, 'examples/shop/upstream.mjs'))) as {
      startUpstream(port: number, log: () => void): Promise<Server>;
    };
    upstream = await startUpstream(0, () => {});
    const { port } = upstream.address() as AddressInfo;
    daemon = await startDaemon({
      config: [join(root, 'examples/shop/config.hcl')],
      env: { SHOP_UPSTREAM: `http://127.0.0.1:${port}`, MAESTRO_HTTP: '127.0.0.1:0' },
      metrics: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
    });
    base = `http://${daemon.addresses.http}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await daemon?.close();
    upstream?.closeAllConnections();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('shows every flow and resource, and its figures move after traffic', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const foreign: string[] = [];
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base)) return route.continue();
      foreign.push(url);
      return route.abort();
    });
    await page.goto(`${base}/flows`);

    const flows = await page.locator('section.flow').evaluateAll((els) => els.map((e) => e.getAttribute('data-flow')));
    expect(flows).toEqual(FLOWS);
    for (const name of RESOURCES) {
      await expect.poll(() => page.locator(`tr[data-resource="${name}"]`).count()).toBe(1);
      // In the picture: a box whose first line is the name.
      expect(await page.locator('svg g.node text', { hasText: new RegExp(`^${name}$`) }).count()).toBe(1);
    }
    const calls = (resource: string) => page.locator(`tr[data-resource="${resource}"] td.calls`).textContent();
    const errors = (resource: string) => page.locator(`tr[data-resource="${resource}"] td.errors`).textContent();
    await expect.poll(() => page.locator('#updated').textContent()).toMatch(/^updated /);
    expect(await calls('product')).toBe('0');

    // Traffic: three product reads; an order whose charge is declined (402, rolled back).
    for (let i = 0; i < 3; i++) expect((await send(`${base}/products/L1`)).status).toBe(200);
    expect((await postJson(`${base}/orders`, { sku: 'L1', amount: 5000 })).status).toBe(402);

    await expect.poll(() => calls('product'), { timeout: 10_000 }).toBe('3');
    expect(await calls('stock')).toBe('3');
    expect(await calls('reviews')).toBe('3');
    await expect.poll(() => calls('charge'), { timeout: 10_000 }).toBe('1');
    expect(await errors('charge')).toBe('1');
    expect(await errors('product')).toBe('0');
    expect(await page.locator('tr[data-resource="product"] td.p50').textContent()).toMatch(/^\d+(\.\d)? ms$/);
    // The box in the picture carries the same figures.
    const box = await page
      .locator('svg g.node', { has: page.locator('text', { hasText: /^charge$/ }) })
      .locator('text')
      .last()
      .textContent();
    expect(box).toBe(
      `1 calls · 1 errors · p50 ${await page.locator('tr[data-resource="charge"] td.p50').textContent()}`,
    );

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('serves the figures as JSON, and the same page on the metrics listener', async () => {
    const figures = await send(`${base}/flows/figures`);
    expect(figures.status).toBe(200);
    const body = figures.json<{ flows: Array<{ name: string; resources: Array<{ name: string }> }> }>();
    expect(body.flows.map((f) => f.name)).toEqual(FLOWS);
    expect(body.flows.flatMap((f) => f.resources.map((r) => r.name))).toEqual(RESOURCES);

    const onMetrics = await send(`http://${daemon.addresses.prometheus}/flows`);
    expect(onMetrics.status).toBe(200);
    expect(onMetrics.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const name of RESOURCES) expect(onMetrics.text).toContain(`data-resource="${name}"`);
    expect((await send(`http://${daemon.addresses.prometheus}/flows/figures`)).json()).toEqual(body);
    expect((await send(`http://${daemon.addresses.prometheus}/elsewhere`)).status).toBe(404);
    expect((await send(`${base}/flows`, { method: 'POST' })).status).toBe(404);
  });
});

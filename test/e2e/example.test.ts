/**
 * The bundled example, started as the README's first command starts it (`npm run example`
 * runs examples/shop/run.mjs), answers the requests the README shows.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, it, onTestFinished } from 'vitest';

const runner = fileURLToPath(new URL('../../examples/shop/run.mjs', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, output: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`example did not start: ${output()}`);
}

it('the shop example serves the README requests, rollback included', async () => {
  const port = await freePort();
  // Run from a folder of its own: the example's rollback journal goes to ./maestro-data.
  const cwd = mkdtempSync(join(tmpdir(), 'maestro-example-'));
  onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
  const child = spawn(process.execPath, [runner], { cwd, env: { ...process.env, PORT: String(port) } });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  onTestFinished(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/healthz`, () => output);

  const product = await fetch(`${base}/products/L1`);
  expect(product.status).toBe(200);
  expect(await product.json()).toEqual({
    sku: 'L1',
    name: 'LAMP',
    price: 20,
    in_stock: 3,
    rating: 4.5,
    summary: 'Lamp: 3 in stock',
  });

  const post = (amount: number) =>
    fetch(`${base}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'L1', amount }),
    });
  const ok = await post(20);
  expect(ok.status).toBe(201);
  expect(await ok.json()).toMatchObject({
    reservation: expect.stringMatching(/^r-/),
    charge: expect.stringMatching(/^ch-/),
  });

  const refused = await post(5000);
  expect(refused.status).toBe(402);
  expect(await refused.json()).toEqual({ status: 402, message: 'payment refused for L1' });
  await expect.poll(() => /DELETE \/reservations\/r-\d+/.test(output)).toBe(true);
});

/**
 * GraphiQL in a real browser: headless Chromium opens the page the daemon serves, runs a
 * query and must show the answer. Everything it loads comes from the daemon (the machine
 * has no internet), which the test also checks by failing on any other request.
 * Skipped, saying why, when /usr/bin/chromium is not installed.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`skipping the GraphiQL browser test: ${CHROMIUM} is absent (apt-get install -y chromium)`);

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/graphql');
const SCREENSHOT = '/tmp/graphiql.png';

describe.skipIf(!hasChromium)('GraphiQL in headless Chromium', () => {
  let server: Server;
  let daemon: Daemon;
  let browser: Browser;

  beforeAll(async () => {
    server = createServer((req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"id":7,"name":"Ann from upstream","role":"ADMIN"}');
      req.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    daemon = await startDaemon({
      config: [path.join(fixtures, '*.hcl')],
      env: { UPSTREAM: `http://127.0.0.1:${port}`, GRAPHQL_ADDRESS: ':1' },
      graphql: '127.0.0.1:0',
      http: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await daemon?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('loads from the daemon alone, runs a query and shows the result', async () => {
    const origin = `http://${daemon.addresses.graphql}`;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const foreign: string[] = [];
    const pageErrors: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) foreign.push(request.url());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));

    const response = await page.goto(`${origin}/graphql`, { waitUntil: 'load' });
    expect(response?.headers()['content-type']).toContain('text/html');
    // GraphiQL 3 edits with CodeMirror 5; its instance hangs off the editor element.
    const editor = page.locator('.graphiql-query-editor .CodeMirror');
    await editor.waitFor({ state: 'visible', timeout: 20_000 });
    await editor.evaluate((element, query) => {
      (element as unknown as { CodeMirror: { setValue(text: string): void } }).CodeMirror.setValue(query);
    }, '{\n  user {\n    get(id: "7") {\n      id\n      name\n      role\n    }\n  }\n}\n');
    await page.locator('button.graphiql-execute-button').click();

    const result = page.locator('.result-window');
    await expect.poll(() => result.innerText(), { timeout: 20_000 }).toContain('Ann from upstream');
    const text = await result.innerText();
    expect(text).toContain('"role": "ADMIN"');
    await page.screenshot({ path: SCREENSHOT });

    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});

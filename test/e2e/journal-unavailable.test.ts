/**
 * A journal that cannot be written must not let a flow with rollbacks run: its
 * compensations could be lost. The request is answered 503 before any upstream call and
 * the log says why; flows without rollbacks never touch the journal and keep serving.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { cleanup, closedPort, configDir, postJson, sendJson, upstream, type Upstream } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/resilience/', import.meta.url));
const CONFIG = [join(FIXTURES, 'crash.hcl'), join(FIXTURES, 'plain.hcl')];

async function store(): Promise<Upstream> {
  return upstream((_req, res, seen) => {
    if (seen.url === '/reservations') return sendJson(res, 200, { id: 'r-1', amount: 1 });
    return sendJson(res, 200, { id: 'c-1' });
  });
}

/** The daemon with `journal`, its log lines collected. */
async function start(journal: string, upstreamUrl: string) {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const daemon = await startDaemon({
    config: CONFIG,
    env: { ...process.env, UPSTREAM: upstreamUrl },
    http: '127.0.0.1:0',
    journal,
    logger: pino({ level: 'info' }, sink),
  });
  cleanup(() => daemon.close());
  return { base: `http://${daemon.addresses.http!}`, logs };
}

const errorsOf = (logs: Array<Record<string, unknown>>) =>
  logs.filter((l) => l.level === 50).map((l) => `${String(l.msg)} ${JSON.stringify(l.err ?? '')}`);

describe('journal: cannot be written', () => {
  it('SQLite at a path that cannot be created: 503 before any upstream call, the reason logged', async () => {
    const dir = configDir({});
    writeFileSync(join(dir, 'blocker'), 'a file where the journal directory should be');
    const shop = await store();
    const { base, logs } = await start(`sqlite:${join(dir, 'blocker', 'journal.db')}`, shop.url);

    const refused = await postJson(`${base}/orders`, { order: 'o-1' }, { 'x-request-id': 'refused-1' });
    expect(refused.status).toBe(503);
    expect(refused.json()).toEqual({ status: 503, message: 'the rollback journal is unavailable; nothing was called' });
    expect(shop.seen).toEqual([]);
    const reasons = errorsOf(logs).join('\n');
    expect(reasons).toMatch(/journal .*blocker\/journal\.db cannot be opened: .*(ENOTDIR|EEXIST|not a directory)/i);
    expect(
      logs.some((l) => l.requestId === 'refused-1' && l.level === 50 && String(l.msg).startsWith('request refused')),
    ).toBe(true);

    // A flow without rollbacks does not need the journal.
    const plain = await postJson(`${base}/lookup`, { order: 'o-2' });
    expect(plain.status).toBe(200);
    expect(shop.seen.map((s) => s.url)).toEqual(['/reservations']);
  });

  it('PostgreSQL that is down: 503 before any upstream call, the reason logged', async () => {
    const shop = await store();
    const down = (await closedPort()).replace('http://', 'postgres://maestro@');
    const { base, logs } = await start(`${down}/nowhere`, shop.url);

    const refused = await postJson(`${base}/orders`, { order: 'o-1' }, { 'x-request-id': 'refused-2' });
    expect(refused.status).toBe(503);
    expect(shop.seen).toEqual([]);
    const line = logs.find((l) => l.requestId === 'refused-2' && l.level === 50);
    expect(JSON.stringify(line)).toMatch(/ECONNREFUSED|connect/);
    expect(JSON.stringify(logs)).not.toContain('maestro@'); // the URL (it may hold a password) is never logged
  });
});

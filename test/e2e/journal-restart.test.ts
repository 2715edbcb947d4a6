/**
 * A compensation that could not run before shutdown stays open for the next start. The
 * rollback keeps answering 503 (through its default retries), the daemon is closed
 * cleanly — which releases the SQLite journal — and the next daemon on the same file
 * sends it again, once the upstream is back, and closes the record.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { cleanup, configDir, postJson, send, sendJson, upstream, waitFor } from './helpers.js';

const CONFIG = [fileURLToPath(new URL('../fixtures/resilience/crash.hcl', import.meta.url))];

describe('journal: open at shutdown, run at the next start', () => {
  it('keeps a compensation that failed on 503 and runs it after a restart', async () => {
    let back = false;
    const undos: string[] = [];
    const store = await upstream((_req, res, seen) => {
      if (seen.url === '/reservations') return sendJson(res, 200, { id: 'r-5', amount: 5 });
      if (seen.url === '/charges') return sendJson(res, 402, { message: 'declined' });
      if (seen.url.endsWith('/undo')) {
        undos.push(back ? 'ok' : 'busy');
        return back ? sendJson(res, 200, {}) : sendJson(res, 503, { message: 'busy' });
      }
      return sendJson(res, 404, {});
    });
    const journal = `sqlite:${join(configDir({}), 'journal.db')}`;
    const start = async () => {
      const d = await startDaemon({
        config: CONFIG,
        env: { ...process.env, UPSTREAM: store.url },
        http: '127.0.0.1:0',
        journal,
        metrics: '127.0.0.1:0',
        logger: pino({ level: 'silent' }),
      });
      cleanup(() => d.close());
      return d;
    };

    const first = await start();
    expect((await postJson(`http://${first.addresses.http!}/orders`, { order: 'o-5' })).status).toBe(402);
    await waitFor(() => undos.length === 5, 'the rollback to use its 5 attempts', 10_000);
    const metrics = async (d: { addresses: Record<string, string> }) =>
      (await send(`http://${d.addresses.prometheus!}/metrics`)).text;
    await waitFor(
      async () =>
        (await metrics(first)).includes(
          'maestro_rollbacks_total{flow="order",resource="reservation",outcome="failed"} 1',
        ),
      'the failure to be counted',
    );
    expect(await metrics(first)).toContain('maestro_journal_pending{journal="sqlite"} 1');
    await first.close();

    const file = journal.slice('sqlite:'.length);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT flow FROM journal_records').all()).toEqual([{ flow: 'order' }]);
    db.close();

    back = true;
    const second = await start();
    await waitFor(() => undos.length === 6, 'the rollback to run again at the next start');
    expect(undos).toEqual(['busy', 'busy', 'busy', 'busy', 'busy', 'ok']);
    await waitFor(
      async () => (await metrics(second)).includes('maestro_journal_pending{journal="sqlite"} 0'),
      'the record to be closed',
    );
    expect(await metrics(second)).toContain(
      'maestro_rollbacks_total{flow="order",resource="reservation",outcome="ok"} 1',
    );
  });

  it('keeps, and logs at error, a record whose flow no longer exists', async () => {
    const store = await upstream((_req, res, seen) => {
      if (seen.url === '/reservations') return sendJson(res, 200, { id: 'r-6', amount: 6 });
      if (seen.url === '/charges') return sendJson(res, 402, { message: 'declined' });
      return sendJson(res, 503, { message: 'busy' }); // the undo never succeeds here
    });
    const dir = configDir({ 'other.hcl': 'service "x" "Y" {\n  host = "http://127.0.0.1:1"\n}\n' });
    const journal = `sqlite:${join(dir, 'journal.db')}`;
    const first = await startDaemon({
      config: CONFIG,
      env: { ...process.env, UPSTREAM: store.url },
      http: '127.0.0.1:0',
      journal,
      logger: pino({ level: 'silent' }),
    });
    cleanup(() => first.close());
    expect(
      (await postJson(`http://${first.addresses.http!}/orders`, { order: 'o-6' }, { 'x-request-id': 'gone-1' })).status,
    ).toBe(402);
    await waitFor(() => store.seen.filter((s) => s.url.endsWith('/undo')).length === 5, 'the rollback to give up');
    await first.close();

    const logs: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const second = await startDaemon({
      config: [join(dir, 'other.hcl')],
      env: process.env,
      http: '127.0.0.1:0',
      journal,
      logger: pino({ level: 'info' }, sink),
    });
    cleanup(() => second.close());
    await waitFor(
      () => logs.some((l) => l.level === 50 && l.requestId === 'gone-1'),
      'the missing flow to be reported',
    );
    expect(logs.find((l) => l.level === 50 && l.requestId === 'gone-1')!.msg).toBe(
      'journal: flow "order" no longer exists; its open compensations are kept',
    );
    await second.close();
    const db = new Database(join(dir, 'journal.db'), { readonly: true });
    expect(db.prepare('SELECT flow, request_id FROM journal_records').all()).toEqual([
      { flow: 'order', request_id: 'gone-1' },
    ]);
    db.close();
  });
});

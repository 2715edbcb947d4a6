/**
 * Compensations survive a crash. A separate daemon process runs a two-resource chain
 * whose first resource has a rollback; it is killed with SIGKILL once the first resource
 * succeeded and while the second is in flight. The next daemon on the same SQLite
 * journal sends the first resource's rollback exactly once, with the values it
 * references (the first answer and the input), and the request id of the lost request.
 *
 *   daemon 1: reserve ✓ ─▶ charge … kill -9
 *   daemon 2: (start) undo reservation 1 ─▶ serves order 2: reserve ✓ ─▶ charge … kill -9
 *   daemon 3: (start) undo reservation 2 ─▶ …
 *
 * Each daemon both recovers the previous crash and suffers the next one, so 20 crashes
 * cost 24 starts; four chains run side by side to keep it short.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cleanup, postJson, sendJson, upstream, waitFor, type Seen } from './helpers.js';
import { spawnMaestro, type DaemonProcess } from '../fixtures/resilience/process.js';

const CONFIG = fileURLToPath(new URL('../fixtures/resilience/crash.hcl', import.meta.url));
const CRASHES = 20;
const CHAINS = 4;

async function chain(name: string, crashes: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-crash-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const journalPath = join(dir, 'journal.db');
  const undos: Seen[] = [];
  const charges: Seen[] = [];
  const store = await upstream((req, res, seen) => {
    if (seen.url === '/reservations') {
      const order = (JSON.parse(seen.body) as { order: string }).order;
      return sendJson(res, 200, { id: `r-${order}`, amount: 42 });
    }
    if (seen.url === '/charges') {
      charges.push(seen);
      return; // never answers: the daemon is killed meanwhile
    }
    if (seen.url.endsWith('/undo')) {
      undos.push(seen);
      return sendJson(res, 200, {});
    }
    return sendJson(res, 404, { message: 'no route' });
  });
  const env = { UPSTREAM: store.url };
  const args = ['--journal', `sqlite:${journalPath}`];
  const outcomes: string[] = [];

  let daemon: DaemonProcess = await spawnMaestro(CONFIG, args, env, dir);
  for (let i = 1; i <= crashes; i++) {
    const order = `${name}-${i}`;
    const requestId = `req-${order}`;
    void postJson(`${daemon.base}/orders`, { order }, { 'x-request-id': requestId }).catch(() => undefined);
    await waitFor(() => charges.length === i, `the charge of ${order} to be in flight`);
    await daemon.kill9();
    expect(undos.length).toBe(i - 1); // nothing was compensated by the killed process

    daemon = await spawnMaestro(CONFIG, args, env, dir);
    await waitFor(() => undos.length >= i, `the rollback of ${order} after the restart`, 10_000);
    await daemon.waitForLog(
      (l) => l.msg === 'rollback done' && l.requestId === requestId,
      `the rollback of ${order} to be recorded`,
    );
    const undo = undos[i - 1]!;
    expect(undo.method).toBe('POST');
    expect(undo.url).toBe(`/reservations/r-${order}/undo`);
    expect(JSON.parse(undo.body)).toEqual({ order, amount: 42 });
    expect(undo.headers['x-order']).toBe(order);
    expect(undo.headers['x-request-id']).toBe(requestId);
    expect(undo.headers['idempotency-key']).toMatch(/:reservation:rollback$/);
    outcomes.push(`${order} ok`);
  }
  await daemon.stop();
  // Exactly once: one undo per crash, and nothing left open for a later start.
  expect(undos.map((u) => u.url)).toEqual(
    Array.from({ length: crashes }, (_, i) => `/reservations/r-${name}-${i + 1}/undo`),
  );
  const db = new Database(journalPath, { readonly: true });
  try {
    expect(db.prepare('SELECT count(*) AS n FROM journal_records').get()).toEqual({ n: 0 });
  } finally {
    db.close();
  }
  return outcomes;
}

describe('journal: a daemon killed with -9 mid-flow', () => {
  it(`compensates on restart, exactly once, ${CRASHES} times out of ${CRASHES}`, async () => {
    const per = CRASHES / CHAINS;
    const results = await Promise.all(
      Array.from({ length: CHAINS }, (_, c) => chain(String.fromCharCode(97 + c), per)),
    );
    expect(results.flat()).toHaveLength(CRASHES);
  }, 180_000);
});

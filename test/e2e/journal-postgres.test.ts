/**
 * Two daemons share a PostgreSQL journal (a schema of this run, made by
 * `maestro journal migrate --schema` and dropped after). The one holding an open record
 * — its flow's second call in flight — is killed with -9; the other, still serving,
 * claims the record once its lease has passed and sends the compensation exactly once.
 * Skipped, loudly, when PostgreSQL is not reachable.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { cleanup, configDir, postJson, sendJson, upstream, waitFor, type Seen } from './helpers.js';
import { spawnMaestro } from '../fixtures/resilience/process.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/resilience/', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cmd/maestro.js', import.meta.url));
const PG_URL = process.env.MAESTRO_TEST_PG ?? 'postgres://root@127.0.0.1:5432/test';
const LEASE_MS = 1_000;

async function reachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const unreachable = await reachable();
if (unreachable) console.warn(`SKIPPED journal-postgres: PostgreSQL at ${PG_URL} is not reachable (${unreachable})`);

describe('journal: PostgreSQL shared by two daemons', () => {
  it.skipIf(unreachable !== undefined)(
    "the survivor runs the killed daemon's compensation within the lease, exactly once, while serving",
    async () => {
      const schema = `maestro_test_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      cleanup(async () => {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
      });
      const migrated = await promisify(execFile)(process.execPath, [
        CLI,
        'journal',
        'migrate',
        '--journal',
        PG_URL,
        '--schema',
        schema,
      ]);
      expect(migrated.stdout).toContain(`schema ${schema} is ready`);

      const undos: Seen[] = [];
      const charges: Seen[] = [];
      const store = await upstream((_req, res, seen) => {
        if (seen.url === '/reservations')
          return sendJson(res, 200, { id: `r-${(JSON.parse(seen.body) as { order: string }).order}`, amount: 7 });
        if (seen.url === '/charges') {
          charges.push(seen);
          return; // held: the daemon that sent it is killed
        }
        if (seen.url.endsWith('/undo')) {
          undos.push(seen);
          return sendJson(res, 200, {});
        }
        return sendJson(res, 404, {});
      });
      const dir = configDir({
        'journal.hcl': `journal {\n  postgres = "$PG_URL"\n  schema   = "${schema}"\n  lease    = "${LEASE_MS}ms"\n}\n`,
      });
      const config = `{${join(FIXTURES, 'crash.hcl')},${join(FIXTURES, 'plain.hcl')},${join(dir, 'journal.hcl')}}`;
      const env = { UPSTREAM: store.url, PG_URL };
      const [a, b] = await Promise.all([spawnMaestro(config, [], env, dir), spawnMaestro(config, [], env, dir)]);
      for (const d of [a, b]) expect((await postJson(`${d.base}/lookup`, { order: 'x' })).status).toBe(200);

      void postJson(`${a.base}/orders`, { order: 'o-1' }, { 'x-request-id': 'pg-1' }).catch(() => undefined);
      await waitFor(() => charges.length === 1, 'the charge to be in flight on daemon A');
      const open = await admin.query(`SELECT flow, request_id FROM "${schema}".journal_records`);
      expect(open.rows).toEqual([{ flow: 'order', request_id: 'pg-1' }]);
      const listed = await promisify(execFile)(process.execPath, [
        CLI,
        'journal',
        'list',
        '--journal',
        PG_URL,
        '--schema',
        schema,
      ]);
      expect(listed.stdout).toMatch(
        /1 open record\(s\)\n.* flow order {2}request pg-1 .* rollbacks pending: reservation/,
      );
      // A renews its lease: B does not take the record while A lives.
      await b.waitForLog((l) => l.msg === 'maestro is serving', 'B to serve');
      expect(undos).toHaveLength(0);

      await a.kill9();
      const killedAt = Date.now();
      // B keeps serving meanwhile.
      expect((await postJson(`${b.base}/lookup`, { order: 'y' })).status).toBe(200);
      await waitFor(() => undos.length >= 1, 'B to run the compensation', 3 * LEASE_MS + 5_000);
      await b.waitForLog((l) => l.msg === 'rollback done' && l.requestId === 'pg-1', 'B to record the rollback');
      await waitFor(
        async () => (await admin.query(`SELECT count(*)::int AS n FROM "${schema}".journal_records`)).rows[0].n === 0,
        'the record to be closed',
      );
      expect(Date.now() - killedAt).toBeLessThan(3 * LEASE_MS + 5_000);

      expect(undos).toHaveLength(1);
      expect(undos[0]!.url).toBe('/reservations/r-o-1/undo');
      expect(JSON.parse(undos[0]!.body)).toEqual({ order: 'o-1', amount: 7 });
      expect(undos[0]!.headers['x-request-id']).toBe('pg-1');
      expect((await postJson(`${b.base}/lookup`, { order: 'z' })).status).toBe(200);
      expect(await b.stop()).toBe(0);
      expect(undos).toHaveLength(1);
    },
    60_000,
  );
});

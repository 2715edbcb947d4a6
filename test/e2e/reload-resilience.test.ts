/**
 * Reload (#13) meets resilience (#10), daemon in-process: the rollback journal belongs to
 * the process, so a run started after a reload records its rollbacks in the journal
 * opened at start (seen through its gauge: the daemon keeps the SQLite file locked); a circuit breaker whose settings did not change stays open across the
 * reload; the admin /metrics has the journal and breaker gauges beside prom-client's
 * process metrics.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { cleanup, configDir, deferred, postJson, send, sendJson, upstream, waitFor } from './helpers.js';

function config(version: string): string {
  return `service "test" "Store" {
  transport = "http"
  codec     = "json"
  host      = "$UP"
  method "Reserve" {
    options {
      endpoint = "/reserve"
      method   = "POST"
    }
  }
  method "Undo" {
    options {
      endpoint = "/undo"
      method   = "POST"
    }
  }
  method "Charge" {
    options {
      endpoint = "/charge"
      method   = "POST"
    }
  }
}

service "test" "Flaky" {
  transport = "http"
  codec     = "json"
  host      = "$UP"
  breaker {
    failures  = 2
    cool_down = "60s"
  }
  method "Get" {
    options {
      endpoint = "/flaky"
      method   = "GET"
    }
  }
}

endpoint "order" "http" {
  endpoint = "/orders"
  method   = "POST"
}

flow "order" {
  resource "reservation" {
    request "test.Store" "Reserve" {}
    rollback "test.Store" "Undo" {
      version = "${version}"
    }
  }
  resource "charge" {
    depends_on = ["reservation"]
    request "test.Store" "Charge" {}
  }
  output {
    version = "${version}"
  }
}

endpoint "probe" "http" {
  endpoint = "/probe"
  method   = "GET"
}

flow "probe" {
  resource "flaky" {
    request "test.Flaky" "Get" {}
  }
  output {
    version = "${version}"
  }
}
`;
}

function openRecords(path: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM journal_records').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('reload with a journal and circuit breakers', () => {
  it('hands runs after a reload the journal opened at start, and keeps an open breaker', async () => {
    const undoHeld = deferred();
    cleanup(() => undoHeld.resolve());
    const up = await upstream(async (req, res, seen) => {
      if (req.url === '/reserve') return sendJson(res, 200, { id: 'r-1' });
      if (req.url === '/charge') return sendJson(res, 502, { message: 'card declined' });
      if (req.url === '/undo') {
        await undoHeld.promise;
        return sendJson(res, 200, { undone: JSON.parse(seen.body) as unknown });
      }
      return sendJson(res, 503, { message: 'down' });
    });
    const journalDir = mkdtempSync(join(tmpdir(), 'maestro-journal-'));
    cleanup(() => rmSync(journalDir, { recursive: true, force: true }));
    const journalPath = join(journalDir, 'journal.db');
    const dir = configDir({ 'main.hcl': config('v1') });
    const daemon = await startDaemon({
      config: [join(dir, 'main.hcl')],
      env: { ...process.env, UP: up.url },
      cwd: dir,
      http: '127.0.0.1:0',
      admin: '127.0.0.1:0',
      journal: `sqlite:${journalPath}`,
      logger: pino({ level: 'silent' }),
    });
    cleanup(() => daemon.close());
    const base = `http://${daemon.addresses.http!}`;
    const flakyHits = (): number => up.seen.filter((s) => s.url === '/flaky').length;

    // Two failures open the breaker; the third call fails fast, without reaching the upstream.
    for (let i = 0; i < 2; i++) expect((await send(`${base}/probe`)).status).toBeGreaterThanOrEqual(500);
    expect(flakyHits()).toBe(2);
    expect((await send(`${base}/probe`)).status).toBe(503);
    expect(flakyHits()).toBe(2);

    writeFileSync(join(dir, 'main.hcl'), config('v2'));
    expect(await daemon.reload('test')).toMatchObject({ result: 'success', generation: 2 });

    // Same breaker settings: still open after the reload.
    expect((await send(`${base}/probe`)).status).toBe(503);
    expect(flakyHits()).toBe(2);

    // A run of the new configuration fails after its reservation: its rollback is recorded
    // in the journal file opened at start while it is in flight, then closed.
    const failed = await postJson(`${base}/orders`, {});
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await waitFor(() => up.seen.some((s) => s.url === '/undo'), 'the rollback call');
    expect(JSON.parse(up.seen.find((s) => s.url === '/undo')!.body)).toEqual({ version: 'v2' });
    // The daemon holds the SQLite file locked: the gauge tells what it holds open.
    const metricsText = async (): Promise<string> => (await send(`http://${daemon.addresses.admin!}/metrics`)).text;
    expect(await metricsText()).toContain('maestro_journal_pending{journal="sqlite"} 1');
    undoHeld.resolve();
    await waitFor(
      async () => (await metricsText()).includes('maestro_journal_pending{journal="sqlite"} 0'),
      'the journal record to be closed',
    );

    const metrics = await metricsText();
    expect(metrics).toMatch(/maestro_breaker_state\{service="test\.Flaky"\} 1/);
    expect(metrics).toContain('maestro_config_reloads_total{result="success"} 1');
    expect(metrics).toMatch(/maestro_rollbacks_total\{flow="order",resource="reservation",outcome="ok"\} 1/);
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+/m);
    // The record went to the file opened at start, and was closed there.
    await daemon.close();
    expect(openRecords(journalPath)).toBe(0);
  });
});

/**
 * The bundled bin (dist/bundle/maestro.js, what the Docker image runs) with what #10 and
 * #13 load at run time: a flow with a rollback (journaled to SQLite in ./maestro-data by
 * default: better-sqlite3's native module), tracing on (the OTLP exporter, imported only
 * then), the admin listener, and a SIGHUP reload.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/proxy/helpers.js';
import { cleanup, configDir, postJson, send, sendJson, upstream, waitFor } from './helpers.js';

const BIN = fileURLToPath(new URL('../../dist/bundle/maestro.js', import.meta.url));

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
`;
}

describe('the bundled bin with a journal, tracing and reload', () => {
  it('rolls back through the default SQLite journal with tracing on, and reloads on SIGHUP', async () => {
    expect(existsSync(BIN), 'run `npm run build` first').toBe(true);
    const up = await upstream((req, res, seen) => {
      if (req.url === '/reserve') return sendJson(res, 200, { id: 'r-1' });
      if (req.url === '/undo') return sendJson(res, 200, { undone: JSON.parse(seen.body) as unknown });
      return sendJson(res, 502, { message: 'card declined' });
    });
    const dir = configDir({ 'main.hcl': config('v1') });
    const [http, admin] = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    let stderr = '';
    const child = spawn(
      process.execPath,
      [BIN, 'daemon', '-c', join(dir, '*.hcl'), '--http', http, '--admin', admin, '--log-level', 'warn'],
      {
        // An unreachable collector: spans are exported in the background and dropped.
        env: {
          ...process.env,
          UP: up.url,
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
          OTEL_SERVICE_NAME: 'bundle-test',
        },
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanup(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    });
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the bundle exited: ${stderr}`);
        return fetch(`http://${admin}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      'the bundle to serve',
      20_000,
    );

    expect((await postJson(`http://${http}/orders`, {})).status).toBe(502);
    await waitFor(() => up.seen.some((s) => s.url === '/undo'), 'the rollback');
    expect(JSON.parse(up.seen.find((s) => s.url === '/undo')!.body)).toEqual({ version: 'v1' });
    expect(existsSync(join(dir, 'maestro-data', 'journal.db'))).toBe(true);
    const metrics = (await send(`http://${admin}/metrics`)).text;
    expect(metrics).toContain('maestro_journal_pending{journal="sqlite"}');
    // prom-client is imported on the first scrape: through the bundle too.
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+/m);

    writeFileSync(join(dir, 'main.hcl'), config('v2'));
    child.kill('SIGHUP');
    await waitFor(
      async () => (await send(`http://${admin}/config`)).json<{ generation: number }>().generation === 2,
      'the SIGHUP reload',
    );
    expect((await postJson(`http://${http}/orders`, {})).status).toBe(502);
    await waitFor(() => up.seen.filter((s) => s.url === '/undo').length === 2, 'the second rollback');
    expect(JSON.parse(up.seen.filter((s) => s.url === '/undo')[1]!.body)).toEqual({ version: 'v2' });

    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
  }, 30_000);
});

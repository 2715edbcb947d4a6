/**
 * The admin listener (`admin { address }`): probes, metrics (Maestro's series moving with
 * traffic, plus process and runtime metrics), and /config (files with their digests and
 * the reload history, no secret values); extra routes can be mounted on it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { cleanup, configDir, deferred, send, sendJson, upstream, waitFor } from './helpers.js';

const CONFIG = (answer: string) => `admin {
  address = "127.0.0.1:0"
}

service "test" "Up" {
  transport = "http"
  codec     = "json"
  host      = "$UP"
  method "Get" {
    options {
      endpoint = "/x"
      method   = "GET"
      }
  }
}

endpoint "hello" "http" {
  endpoint = "/hello"
  method   = "GET"
}

flow "hello" {
  resource "up" {
    request "test.Up" "Get" {
      header {
        Authorization = "$SECRET_TOKEN"
      }
    }
  }
  output {
    answer = "${answer}"
  }
}
`;

describe('admin listener', () => {
  it('serves /healthz, /readyz, /metrics, /config and mounted routes, and follows reloads', async () => {
    const up = await upstream((_req, res) => sendJson(res, 200, {}));
    const dir = configDir({ 'main.hcl': CONFIG('one') });
    const file = join(dir, 'main.hcl');
    const daemon = await startDaemon({
      config: [file],
      env: { ...process.env, UP: up.url, SECRET_TOKEN: 'Bearer very-secret-value' },
      cwd: dir,
      http: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
      adminRoutes: [
        {
          path: '/flows',
          handle: (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('flows page'),
        },
      ],
    });
    cleanup(() => daemon.close());
    const admin = `http://${daemon.addresses.admin!}`;
    const base = `http://${daemon.addresses.http!}`;

    expect((await send(`${admin}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await send(`${admin}/readyz`);
    expect([ready.status, ready.json()]).toEqual([200, { status: 'ok' }]);
    expect((await send(`${admin}/flows`)).text).toBe('flows page');
    expect((await send(`${admin}/nope`)).status).toBe(404);
    expect((await send(`${admin}/config`, { method: 'POST' })).status).toBe(405);

    for (let i = 0; i < 3; i++) expect((await send(`${base}/hello`)).json()).toEqual({ answer: 'one' });
    const metrics = (await send(`${admin}/metrics`)).text;
    expect(metrics).toContain('maestro_requests_total{flow="hello",protocol="http",status="200"} 3');
    expect(metrics).toContain('maestro_upstream_calls_total{service="test.Up",method="Get",status="200"} 3');
    expect(metrics).toContain('maestro_flows_in_flight{flow="hello"} 0');
    expect(metrics).toContain('maestro_config_reloads_total{result="success"} 0');
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(metrics).toContain(`# TYPE ${name}`);
    }

    writeFileSync(file, CONFIG('two'));
    await daemon.reload('test');
    writeFileSync(file, 'flow "broken" {');
    await daemon.reload('test');
    writeFileSync(file, CONFIG('two'));
    expect((await send(`${base}/hello`)).json()).toEqual({ answer: 'two' });
    // Counts survive the reload: the series are the same ones.
    const after = (await send(`${admin}/metrics`)).text;
    expect(after).toContain('maestro_requests_total{flow="hello",protocol="http",status="200"} 4');
    expect(after).toContain('maestro_config_reloads_total{result="success"} 1');
    expect(after).toContain('maestro_config_reloads_total{result="failure"} 1');
    expect(after.match(/^maestro_requests_total\{flow="hello",protocol="http",status="200"\}/gm)).toHaveLength(1);

    const config = (await send(`${admin}/config`)).json<{
      generation: number;
      files: Array<{ path: string; sha256: string }>;
      reloads: Array<Record<string, unknown>>;
    }>();
    expect(config.generation).toBe(2);
    expect(config.files).toEqual([
      { path: file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') },
    ]);
    expect(config.reloads.map((r) => [r.reason, r.result])).toEqual([
      ['start', 'success'],
      ['test', 'success'],
      ['test', 'failure'],
    ]);
    expect((config.reloads[2]!.errors as string[])[0]).toMatch(new RegExp(`^${file}:1:`));
    expect(JSON.stringify(config)).not.toContain('very-secret-value');
  });

  it('answers /readyz 503 while the daemon drains, and /metrics until the end', async () => {
    const hold = deferred();
    const up = await upstream(async (_req, res) => {
      await hold.promise;
      sendJson(res, 200, {});
    });
    cleanup(() => hold.resolve());
    const dir = configDir({ 'main.hcl': CONFIG('one') });
    const daemon = await startDaemon({
      config: [join(dir, 'main.hcl')],
      env: { ...process.env, UP: up.url, SECRET_TOKEN: 'x' },
      cwd: dir,
      http: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
    });
    cleanup(() => daemon.close());
    const admin = `http://${daemon.addresses.admin!}`;
    const held = send(`http://${daemon.addresses.http!}/hello`);
    await waitFor(() => up.seen.length === 1, 'the held call');

    const closing = daemon.close();
    await waitFor(async () => (await send(`${admin}/readyz`)).status === 503, '/readyz to say 503');
    expect((await send(`${admin}/metrics`)).text).toContain('maestro_flows_in_flight{flow="hello"} 1');
    hold.resolve();
    expect((await held).json()).toEqual({ answer: 'one' });
    await closing;
  });
});

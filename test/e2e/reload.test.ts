/**
 * Hot reload on the daemon process (the built CLI): SIGHUP, or `--watch`, loads every file
 * again beside the running configuration. A broken file is refused with its position and
 * the old flows keep answering; a changed flow answers the new way while a steady load
 * running through the reload sees no failure at all, and a request held in flight at the
 * reload finishes on the plan it started with.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonProcess } from '../fixtures/proxy/helpers.js';
import { cleanup, configDir, deferred, send, sendJson, upstream, waitFor, type Upstream } from './helpers.js';

/** The flows of one configuration version: /answer is fast, /slow waits for its upstream. */
function flows(version: string, outputLine = `version = "${version}"`): string {
  return `service "test" "Up" {
  transport = "http"
  codec     = "json"
  host      = "$UP"
  method "Value" {
    options {
      endpoint = "/value"
      method   = "GET"
    }
  }
  method "Slow" {
    options {
      endpoint = "/slow"
      method   = "GET"
    }
  }
}

endpoint "answer" "http" {
  endpoint = "/answer"
  method   = "GET"
}

flow "answer" {
  resource "up" {
    request "test.Up" "Value" {}
  }
  output {
    ${outputLine}
    value   = "{{ up:value }}"
  }
}

endpoint "slow" "http" {
  endpoint = "/slow"
  method   = "GET"
}

flow "slow" {
  resource "up" {
    request "test.Up" "Slow" {}
  }
  output {
    version = "${version}"
  }
}
`;
}

const LOAD = 2_000;

interface Started {
  dir: string;
  file: string;
  up: Upstream;
  releaseSlow: () => void;
  daemon: DaemonProcess;
}

async function start(extraArgs: string[] = []): Promise<Started> {
  const slow = deferred();
  const up = await upstream(async (req, res) => {
    if (req.url === '/slow') await slow.promise;
    sendJson(res, 200, { value: 42 });
  });
  const dir = configDir({ 'flows.hcl': flows('v1') });
  const file = join(dir, 'flows.hcl');
  const daemon = await spawnDaemon(file, { UP: up.url }, extraArgs);
  cleanup(async () => {
    slow.resolve();
    await daemon.stop();
  });
  return { dir, file, up, releaseSlow: () => slow.resolve(), daemon };
}

/**
 * Sends requests to /answer, 16 at a time, until at least LOAD have been answered and
 * answers of `until` have been seen (bounded); `change` runs once 300 are answered.
 */
async function loadThroughReload(
  daemon: DaemonProcess,
  change: () => void,
  until: string,
): Promise<{ total: number; failures: string[]; versions: Map<string, number> }> {
  const pool = new Pool(`http://${daemon.address}`, { connections: 16 });
  cleanup(() => pool.close());
  const versions = new Map<string, number>();
  const failures: string[] = [];
  let total = 0;
  let changed = false;
  const deadline = Date.now() + 60_000;
  const worker = async (): Promise<void> => {
    while ((total < LOAD || !versions.has(until)) && Date.now() < deadline) {
      try {
        const res = await pool.request({ path: '/answer', method: 'GET' });
        const text = await res.body.text();
        total++;
        if (res.statusCode !== 200) failures.push(`${res.statusCode} ${text}`);
        else {
          const version = (JSON.parse(text) as { version: string }).version;
          versions.set(version, (versions.get(version) ?? 0) + 1);
        }
      } catch (error) {
        total++;
        failures.push(String(error));
      }
      if (!changed && total >= 300) {
        changed = true;
        change();
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { total, failures, versions };
}

describe('reload (daemon process)', () => {
  it('SIGHUP with a broken file keeps the old flows serving and logs the error with file:line', async () => {
    const { file, daemon } = await start();
    expect((await send(`http://${daemon.address}/answer`)).json()).toEqual({ version: 'v1', value: 42 });

    const broken = flows('v2', 'version = "{{ nowhere:x }}"');
    const line = broken.split('\n').findIndex((text) => text.includes('nowhere')) + 1;
    writeFileSync(file, broken);
    daemon.signal('SIGHUP');
    const failed = await daemon.waitForLog(
      (l) => l.msg === 'configuration reload failed; the previous configuration keeps serving',
    );
    expect(failed).toMatchObject({ reason: 'SIGHUP', errors: 1 });
    const positioned = daemon.logs.find(
      (l) => l.level === 50 && typeof l.msg === 'string' && l.msg.startsWith(`${file}:${line}:`),
    );
    expect(positioned?.msg).toContain('nowhere');

    expect((await send(`http://${daemon.address}/answer`)).json()).toEqual({ version: 'v1', value: 42 });
    expect(daemon.alive()).toBe(true);
  });

  it('SIGHUP with a changed flow: the load through the reload never fails, the held request ends on the old plan', async () => {
    const { file, up, daemon, releaseSlow } = await start();
    const held = send(`http://${daemon.address}/slow`);
    await waitFor(() => up.seen.some((s) => s.url === '/slow'), 'the slow call to reach the upstream');

    const result = await loadThroughReload(
      daemon,
      () => {
        writeFileSync(file, flows('v2'));
        daemon.signal('SIGHUP');
      },
      'v2',
    );
    expect(result.failures).toEqual([]);
    expect(result.total).toBeGreaterThanOrEqual(LOAD);
    expect(result.versions.get('v1')).toBeGreaterThan(0);
    expect(result.versions.get('v2')).toBeGreaterThan(0);
    await daemon.waitForLog((l) => l.msg === 'configuration reloaded' && l.reason === 'SIGHUP');

    releaseSlow();
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ version: 'v1' });
    // And a new /slow request runs on the new plan.
    expect((await send(`http://${daemon.address}/slow`)).json()).toEqual({ version: 'v2' });
  });

  it('--watch reloads a changed file by itself, with the same zero-failure load', async () => {
    const { file, daemon } = await start(['--watch']);
    const result = await loadThroughReload(daemon, () => writeFileSync(file, flows('v3')), 'v3');
    expect(result.failures).toEqual([]);
    expect(result.total).toBeGreaterThanOrEqual(LOAD);
    expect(result.versions.get('v1')).toBeGreaterThan(0);
    expect(result.versions.get('v3')).toBeGreaterThan(0);
    expect(await daemon.waitForLog((l) => l.msg === 'configuration reloaded')).toMatchObject({ reason: 'watch' });
  });
});

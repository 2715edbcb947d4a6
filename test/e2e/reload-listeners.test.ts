/**
 * Reload seen from the listeners and the upstreams (daemon in-process): a changed
 * listener address is bound before the swap and the old one drains, then closes; a
 * request held on the old address finishes there, on the old plan; an upstream whose
 * target did not change keeps its warm connection across reloads.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { freePort } from '../fixtures/proxy/helpers.js';
import { cleanup, configDir, deferred, send, sendJson, upstream, waitFor } from './helpers.js';

function config(address: string, version: string, hostVar = 'UP'): string {
  return `http {
  address = "${address}"
}

service "test" "Up" {
  transport = "http"
  codec     = "json"
  host      = "$${hostVar}"
  method "Slow" {
    options {
      endpoint = "/slow"
      method   = "GET"
    }
  }
  method "Fast" {
    options {
      endpoint = "/fast"
      method   = "GET"
    }
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

endpoint "fast" "http" {
  endpoint = "/fast"
  method   = "GET"
}

flow "fast" {
  resource "up" {
    request "test.Up" "Fast" {}
  }
  output {
    version = "${version}"
    from    = "{{ up:name }}"
  }
}
`;
}

/** An upstream that names itself and counts the TCP connections it accepted. */
async function namedUpstream(name: string, hold?: Promise<void>) {
  const up = await upstream(async (req, res) => {
    if (req.url === '/slow' && hold) await hold;
    sendJson(res, 200, { name });
  });
  let connections = 0;
  up.server.on('connection', () => connections++);
  return { ...up, connections: () => connections };
}

async function refused(url: string): Promise<boolean> {
  try {
    await send(url, { headers: { connection: 'close' } });
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ECONNREFUSED';
  }
}

describe('reload: listeners and upstream pools', () => {
  it('moves the HTTP listener to a new address; a request held on the old one finishes there on the old plan', async () => {
    const hold = deferred();
    const up = await namedUpstream('a', hold.promise);
    cleanup(() => hold.resolve());
    const [first, second] = [await freePort(), await freePort()];
    const dir = configDir({ 'main.hcl': config(`127.0.0.1:${first}`, 'v1') });
    const daemon = await startDaemon({ config: [join(dir, 'main.hcl')], env: { ...process.env, UP: up.url }, cwd: dir, logger: pino({ level: 'silent' }) });
    cleanup(() => daemon.close());
    expect(daemon.addresses.http).toBe(`127.0.0.1:${first}`);

    const held = send(`http://127.0.0.1:${first}/slow`);
    await waitFor(() => up.seen.some((s) => s.url === '/slow'), 'the held call');

    writeFileSync(join(dir, 'main.hcl'), config(`127.0.0.1:${second}`, 'v2'));
    expect(await daemon.reload('test')).toMatchObject({ result: 'success', generation: 2 });
    expect(daemon.addresses.http).toBe(`127.0.0.1:${second}`);
    expect((await send(`http://127.0.0.1:${second}/fast`)).json()).toEqual({ version: 'v2', from: 'a' });

    hold.resolve();
    expect((await held).json()).toEqual({ version: 'v1' });
    await waitFor(() => refused(`http://127.0.0.1:${first}/fast`), 'the old address to close');
  });

  it('keeps the upstream connection pool of an unchanged target; a changed target gets its own', async () => {
    const a = await namedUpstream('a');
    const b = await namedUpstream('b');
    const dir = configDir({ 'main.hcl': config('127.0.0.1:0', 'v1') });
    const daemon = await startDaemon({ config: [join(dir, 'main.hcl')], env: { ...process.env, UP: a.url, OTHER: b.url }, cwd: dir, logger: pino({ level: 'silent' }) });
    cleanup(() => daemon.close());
    const base = `http://${daemon.addresses.http!}`;
    expect((await send(`${base}/fast`)).json()).toEqual({ version: 'v1', from: 'a' });
    expect(a.connections()).toBe(1);

    writeFileSync(join(dir, 'main.hcl'), config('127.0.0.1:0', 'v2'));
    expect(await daemon.reload('test')).toMatchObject({ result: 'success' });
    // 127.0.0.1:0 is the same configured address: the port is kept.
    expect(`http://${daemon.addresses.http!}`).toBe(base);
    expect((await send(`${base}/fast`)).json()).toEqual({ version: 'v2', from: 'a' });
    expect(a.connections()).toBe(1);

    writeFileSync(join(dir, 'main.hcl'), config('127.0.0.1:0', 'v3', 'OTHER'));
    expect(await daemon.reload('test')).toMatchObject({ result: 'success' });
    expect((await send(`${base}/fast`)).json()).toEqual({ version: 'v3', from: 'b' });
    expect(b.connections()).toBe(1);
    expect(a.connections()).toBe(1);
  });
});

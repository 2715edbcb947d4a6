/**
 * Reload seen from the listeners and the upstreams (daemon in-process): a changed
 * listener address is bound before the swap and the old one drains, then closes; a
 * request held on the old address finishes there, on the old plan; an upstream whose
 * target did not change keeps its warm connection across reloads.
 */
import { Client, credentials, Metadata, status as Code, type ServiceError } from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { freePort } from '../fixtures/proxy/helpers.js';
import { cleanup, configDir, deferred, postJson, send, sendJson, upstream, waitFor } from './helpers.js';

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
    const daemon = await startDaemon({
      config: [join(dir, 'main.hcl')],
      env: { ...process.env, UP: up.url },
      cwd: dir,
      logger: pino({ level: 'silent' }),
    });
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
    const daemon = await startDaemon({
      config: [join(dir, 'main.hcl')],
      env: { ...process.env, UP: a.url, OTHER: b.url },
      cwd: dir,
      logger: pino({ level: 'silent' }),
    });
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

  it('gRPC and GraphQL serve the new flows on the same ports; a removed gRPC method is unimplemented', async () => {
    const listeners = 'grpc {\n  address = "127.0.0.1:0"\n}\n\ngraphql {\n  address = "127.0.0.1:0"\n}\n';
    const flow = (name: string, version: string) => `endpoint "${name}" "grpc" {
  package = "test"
  service = "S"
  method  = "${name}"
}

endpoint "${name}" "graphql" {
  path = "${name}"
  name = "${name}"
  base = "query"
}

flow "${name}" {
  output {
    version = "${version}"
  }
}
`;
    const dir = configDir({ 'main.hcl': listeners + flow('one', 'v1') });
    const daemon = await startDaemon({
      config: [join(dir, 'main.hcl')],
      env: process.env,
      cwd: dir,
      logger: pino({ level: 'silent' }),
    });
    cleanup(() => daemon.close());
    const { grpc, graphql } = daemon.addresses;
    const client = new Client(grpc!, credentials.createInsecure());
    cleanup(() => client.close());
    const call = (method: string) =>
      new Promise<number>((resolve) => {
        client.makeUnaryRequest(
          `/test.S/${method}`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          new Metadata(),
          (error: ServiceError | null) => resolve(error?.code ?? Code.OK),
        );
      });
    const query = async (field: string) =>
      (await postJson(`http://${graphql!}/graphql`, { query: `{ ${field} }` })).json();

    expect(await call('one')).toBe(Code.OK);
    expect(await call('two')).toBe(Code.UNIMPLEMENTED);
    expect(await query('one')).toEqual({ data: { one: { version: 'v1' } } });

    writeFileSync(join(dir, 'main.hcl'), listeners + flow('one', 'v2') + flow('two', 'v2'));
    expect(await daemon.reload('test')).toMatchObject({ result: 'success' });
    expect(daemon.addresses).toMatchObject({ grpc, graphql });
    expect(await call('two')).toBe(Code.OK);
    expect(await query('one')).toEqual({ data: { one: { version: 'v2' } } });
    expect(await query('two')).toEqual({ data: { two: { version: 'v2' } } });

    writeFileSync(join(dir, 'main.hcl'), listeners + flow('two', 'v3'));
    expect(await daemon.reload('test')).toMatchObject({ result: 'success' });
    expect(await call('one')).toBe(Code.UNIMPLEMENTED);
    expect(await call('two')).toBe(Code.OK);
    expect((await query('one')).errors).toEqual([
      expect.objectContaining({ message: expect.stringContaining('Cannot query field "one"') }),
    ]);
  });

  it('a rollback pending at the reload runs on the old plan, and close() waits for it', async () => {
    const undo = deferred();
    const up = await upstream(async (req, res) => {
      if (req.url === '/pay') return sendJson(res, 500, { message: 'declined' });
      if (req.url!.startsWith('/undo')) await undo.promise;
      sendJson(res, 200, { id: 7 });
    });
    cleanup(() => undo.resolve());
    const saga = (undoPath: string) => `service "test" "Up" {
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
      endpoint = "${undoPath}"
      method   = "POST"
    }
  }
  method "Pay" {
    options {
      endpoint = "/pay"
      method   = "POST"
    }
  }
}

endpoint "order" "http" {
  endpoint = "/order"
  method   = "POST"
}

flow "order" {
  resource "reserve" {
    request "test.Up" "Reserve" {}
    rollback "test.Up" "Undo" {}
  }
  resource "pay" {
    depends_on = ["reserve"]
    request "test.Up" "Pay" {}
  }
}
`;
    const dir = configDir({ 'main.hcl': saga('/undo-v1') });
    const daemon = await startDaemon({
      config: [join(dir, 'main.hcl')],
      env: { ...process.env, UP: up.url },
      cwd: dir,
      http: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
    });
    cleanup(() => daemon.close());
    const base = `http://${daemon.addresses.http!}`;

    expect((await postJson(`${base}/order`, {})).status).toBe(500);
    await waitFor(() => up.seen.some((s) => s.url === '/undo-v1'), 'the first rollback to start');

    writeFileSync(join(dir, 'main.hcl'), saga('/undo-v2'));
    expect(await daemon.reload('test')).toMatchObject({ result: 'success' });
    expect((await postJson(`${base}/order`, {})).status).toBe(500);
    await waitFor(() => up.seen.some((s) => s.url === '/undo-v2'), 'the second rollback, on the new plan');

    let closed = false;
    const closing = daemon.close().then(() => (closed = true));
    // The port closes at once; close() itself waits for both held rollbacks.
    await waitFor(() => refused(`${base}/order`), 'the listener to close');
    expect(closed).toBe(false);
    undo.resolve();
    await closing;
    expect(up.seen.map((s) => s.url)).toEqual(['/reserve', '/pay', '/undo-v1', '/reserve', '/pay', '/undo-v2']);
  });

  it('closes the HTTP listener when the new configuration has no HTTP endpoint left', async () => {
    const up = await namedUpstream('a');
    const port = await freePort();
    const dir = configDir({ 'main.hcl': config(`127.0.0.1:${port}`, 'v1') });
    const daemon = await startDaemon({
      config: [join(dir, 'main.hcl')],
      env: { ...process.env, UP: up.url },
      cwd: dir,
      logger: pino({ level: 'silent' }),
    });
    cleanup(() => daemon.close());
    expect((await send(`http://127.0.0.1:${port}/fast`)).json()).toEqual({ version: 'v1', from: 'a' });

    writeFileSync(
      join(dir, 'main.hcl'),
      'grpc {\n  address = "127.0.0.1:0"\n}\n\nendpoint "only" "grpc" {\n  package = "test"\n  service = "S"\n  method  = "Only"\n}\n\nflow "only" {\n}\n',
    );
    expect(await daemon.reload('test')).toMatchObject({ result: 'success' });
    await waitFor(() => refused(`http://127.0.0.1:${port}/fast`), 'the HTTP listener to close');
    expect(Object.keys(daemon.addresses)).toEqual(['grpc']);
  });
});

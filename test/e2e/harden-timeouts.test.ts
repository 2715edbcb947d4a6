/**
 * Listener timeouts through the real daemon (issue #8): bodies that trickle or stall are
 * answered 408 and closed by `read_timeout` while ordinary requests keep being served;
 * headers that never end are cut by `header_timeout`; `write_timeout` closes a flow whose
 * answer is late; an idle keep-alive connection is closed after `idle_timeout`. Times are
 * asserted as bounds only ("well before Node's 60 s header timeout would have").
 */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanup, configDir, daemon, deferred, send, sendJson, upstream, waitFor } from './helpers.js';

const FLOW = `
service "h" "Slow" {
  host = "$SLOW"
  method "Get" {
    options {
      endpoint = "/get"
      method   = "GET"
    }
  }
}

endpoint "echo" "http" {
  endpoint = "/echo"
  method   = "POST"
}

flow "echo" {
  input {}
  output {
    got = "{{ input:. }}"
  }
}

endpoint "slow" "http" {
  endpoint = "/slow"
  method   = "GET"
}

flow "slow" {
  resource "slow" {
    request "h.Slow" "Get" {}
  }
  output {
    slow = "{{ slow:. }}"
  }
}
`;

async function start(http: string) {
  const held = deferred();
  const slow = await upstream(async (_req, res) => {
    await held.promise;
    sendJson(res, 200, { ok: true });
  });
  cleanup(() => held.resolve());
  const dir = configDir({ 'flows.hcl': `http {\n${http}\n}\n${FLOW}` });
  const { base } = await daemon([join(dir, 'flows.hcl')], { SLOW: slow.url });
  const { hostname, port } = new URL(base);
  return { base, host: hostname, port: Number(port), held, slow };
}

interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves with the time (ms since `opened`) when the server closed the connection. */
  closed: Promise<number>;
}

function open(host: string, port: number, opened: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now() - opened)));
    cleanup(() => socket.destroy());
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

describe('listener timeouts', () => {
  // Its own timeout: on a loaded machine opening 200 connections and the bound above take a while.
  it(
    'closes 200 trickling bodies with 408 after read_timeout = "2s" while normal requests are served',
    { timeout: 60_000 },
    async () => {
      const { base, host, port } = await start('  read_timeout = "2s"');
      const opened = Date.now();
      const connections = await Promise.all(Array.from({ length: 200 }, () => open(host, port, opened)));
      // The server's clock for a request starts after `opened` and before the last write
      // ends, however long the load makes opening and writing take.
      for (const c of connections) {
        c.socket.write(
          `POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`,
        );
      }
      const lastWrite = Date.now() - opened;
      // One byte every 200 ms: each connection is active, but its body never completes in time.
      const trickle = setInterval(() => {
        for (const c of connections) if (!c.socket.destroyed) c.socket.write(' ');
      }, 200);
      cleanup(() => clearInterval(trickle));

      // Meanwhile the daemon answers ordinary requests.
      let served = 0;
      const allClosed = Promise.all(connections.map((c) => c.closed));
      let done = false;
      void allClosed.then(() => (done = true));
      while (!done) {
        const res = await send(`${base}/echo`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"a":1}',
        });
        expect(res.status).toBe(200);
        served++;
        if (Date.now() - opened > 15_000) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const closedAt = await allClosed;
      clearInterval(trickle);
      expect(served).toBeGreaterThan(0);
      for (const c of connections) expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(connections[0]!.received()).toContain('"message":"request timed out"');
      // Well before the 60 s header timeout (or Node's 30 s check interval) could have done
      // it — the bound leaves room for a loaded CI machine — and not before the 2 s were up.
      expect(Math.max(...closedAt) - lastWrite).toBeLessThan(20_000);
      expect(Math.min(...closedAt)).toBeGreaterThanOrEqual(1_900);
      console.log(
        `read_timeout 2s: 200 trickling bodies closed between ${Math.min(...closedAt)} and ${Math.max(...closedAt)} ms (last write at ${lastWrite} ms); ${served} requests served meanwhile`,
      );
    },
  );

  it('closes a connection whose headers never end after header_timeout', async () => {
    const { host, port } = await start('  header_timeout = "1s"');
    const opened = Date.now();
    const c = await open(host, port, opened);
    c.socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n');
    const trickle = setInterval(() => !c.socket.destroyed && c.socket.write('x-a: b\r\n'), 100);
    cleanup(() => clearInterval(trickle));
    const closedAt = await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    // Node's own header timeout is 60 s; the bound leaves room for a loaded machine.
    expect(closedAt).toBeLessThan(20_000);
  });

  it('closes a flow whose answer is not written within write_timeout', async () => {
    const { base, slow } = await start('  write_timeout = "1s"');
    const started = Date.now();
    await expect(send(`${base}/slow`)).rejects.toThrow(/closed|socket|terminated/i);
    // Before the 30 s upstream timeout could have ended it.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(slow.seen).toHaveLength(1);
    // The connection was closed; the daemon itself serves on.
    expect((await send(`${base}/healthz`)).status).toBe(200);
  });

  it('closes an idle keep-alive connection after idle_timeout', async () => {
    const { host, port } = await start('  idle_timeout = "1s"');
    const opened = Date.now();
    const c = await open(host, port, opened);
    c.socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitFor(() => c.received().includes('"status":"ok"'), 'the /healthz answer');
    const closedAt = await c.closed;
    // The default idle timeout is 72 s; the bound leaves room for a loaded machine.
    expect(closedAt).toBeLessThan(20_000);
  });
});

/**
 * Bounded shutdown's process-wide stop (flow/stop.ts) reaches the calls of every run in
 * flight: a client signal a listener linked (one per HTTP connection) is passed to calls
 * as it is, any other signal is merged by the executor. Real HTTP upstream, real caller
 * and executor; the upstream never answers, so only the stop can end the call.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { bind } from '../../src/flow/bind.js';
import { Executor } from '../../src/flow/executor.js';
import { FlowStop } from '../../src/flow/stop.js';
import { createHttpCaller } from '../../src/transport/http/caller.js';

const dir = mkdtempSync(join(tmpdir(), 'maestro-stop-'));
const servers: Server[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

writeFileSync(
  join(dir, 'flows.hcl'),
  `
service "shop" "Users" {
  host = "$UPSTREAM"
  method "Get" {
    options {
      endpoint = "/users/:id"
      method   = "GET"
    }
  }
}
flow "user" {
  resource "u" {
    request "shop.Users" "Get" {
      id = "{{ input:id }}"
    }
  }
  output {
    name = "{{ u:name }}"
  }
}
`,
);

/** An upstream that never answers; resolves `arrived` per request and records closes. */
async function hung(): Promise<{ url: string; arrivals: Array<Promise<IncomingMessage>>; closed: string[] }> {
  const arrivals: Array<Promise<IncomingMessage>> = [];
  const waiting: Array<(req: IncomingMessage) => void> = [];
  for (let i = 0; i < 4; i++) arrivals.push(new Promise((resolve) => waiting.push(resolve)));
  const closed: string[] = [];
  const server = createServer((req) => {
    req.socket.on('close', () => closed.push(req.url!));
    waiting.shift()?.(req);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals, closed };
}

describe('FlowStop', () => {
  it('aborts the calls of runs in flight, whether their signal was linked or merged, and later runs at once', async () => {
    const upstream = await hung();
    const { plan, diagnostics } = await loadPlan({
      config: [join(dir, 'flows.hcl')],
      env: { UPSTREAM: upstream.url },
      cwd: dir,
    });
    expect(diagnostics.errors).toEqual([]);
    const caller = createHttpCaller();
    const stop = new FlowStop();
    const executor = new Executor({
      logger: pino({ level: 'silent' }),
      plan: bind(plan!, new Map([['http', caller]])),
      stop,
    });
    const flow = plan!.flows[0]!;
    const run = (id: string, signal: AbortSignal) =>
      executor.run(flow, { input: { id }, header: {}, params: {}, requestId: id, signal });

    // A connection's signal, linked as the HTTP listener links it.
    const connection = new AbortController();
    const unlink = stop.link(connection.signal, () => connection.abort());
    expect(stop.covers(connection.signal)).toBe(true);
    const linked = run('linked', connection.signal);
    // A signal nobody linked (a gRPC call's, say): the executor merges it with the stop.
    const own = new AbortController();
    expect(stop.covers(own.signal)).toBe(false);
    const merged = run('merged', own.signal);
    await Promise.all(upstream.arrivals.slice(0, 2));

    stop.stop();
    const results = await Promise.all([linked, merged]);
    for (const result of results) expect(result).toMatchObject({ ok: false, status: 499 });
    expect(connection.signal.aborted).toBe(true);
    expect(own.signal.aborted).toBe(false);

    // After the stop, a newly linked signal is aborted at once and a new run calls nothing.
    const late = new AbortController();
    stop.link(late.signal, () => late.abort());
    expect(late.signal.aborted).toBe(true);
    expect(await run('late', new AbortController().signal)).toMatchObject({ ok: false });
    unlink();
    // The aborted calls' connections close (the upstream sees them go).
    for (let i = 0; i < 200 && upstream.closed.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(upstream.closed.sort()).toEqual(['/users/linked', '/users/merged']);
    await caller.close();
  });
});

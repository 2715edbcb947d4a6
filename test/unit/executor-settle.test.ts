/**
 * The executor ends a call's node in the call's own promise callback (no async function
 * around it). What a client and the upstreams see stays as before: a request that cannot
 * be built fails its node a microtask later (roots started in the same turn still run),
 * an upstream 4xx fails the flow with its status and its dependents never start, a 5xx
 * is a 502-class failure, and a chain runs in order. Real HTTP upstream, caller, executor.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { bind } from '../../src/flow/bind.js';
import { Executor } from '../../src/flow/executor.js';
import { createHttpCaller } from '../../src/transport/http/caller.js';
import type { Caller } from '../../src/transport/caller.js';

const CONFIG = `
service "shop" "Users" {
  host = "$UPSTREAM"
  method "Get" {
    options {
      endpoint = "/users/:id"
      method   = "GET"
    }
  }
  method "Save" {
    options {
      endpoint = "/save"
      method   = "POST"
    }
  }
}
flow "roots" {
  resource "bad" {
    request "shop.Users" "Save" {
      size = "{{ len(input:n) }}"
    }
  }
  resource "good" {
    request "shop.Users" "Get" {
      id = "{{ input:id }}"
    }
  }
  output {
    name = "{{ good:name }}"
  }
}
flow "chain" {
  resource "first" {
    request "shop.Users" "Get" {
      id = "{{ input:id }}"
    }
  }
  resource "second" {
    request "shop.Users" "Get" {
      id = "{{ first:name }}"
    }
  }
  resource "third" {
    request "shop.Users" "Get" {
      id = "{{ second:name }}"
    }
  }
  output {
    name = "{{ third:name }}"
  }
}
`;

const dir = mkdtempSync(join(tmpdir(), 'maestro-settle-'));
const seen: string[] = [];
let server: Server;
let caller: Caller;
let executor: Executor;
let flows: Map<string, import('../../src/compile/plan.js').FlowPlan>;

beforeAll(async () => {
  // GET /users/:id answers {name: "<id>-next"}; ids "missing" 404 and "broken" 500.
  server = createServer((req: IncomingMessage, res) => {
    seen.push(`${req.method} ${req.url}`);
    const id = req.url?.split('/').pop() ?? '';
    const status = id === 'missing' ? 404 : id === 'broken' ? 500 : 200;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ name: `${id}-next` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  writeFileSync(join(dir, 'flows.hcl'), CONFIG);
  const { plan, diagnostics } = await loadPlan({
    config: [join(dir, 'flows.hcl')],
    env: { UPSTREAM: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
    cwd: dir,
  });
  expect(diagnostics.errors).toEqual([]);
  caller = createHttpCaller();
  executor = new Executor({ logger: pino({ level: 'silent' }), plan: bind(plan!, new Map([['http', caller]])) });
  flows = new Map(plan!.flows.map((f) => [f.name, f]));
});

afterAll(async () => {
  await caller.close();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const run = (flow: string, input: Record<string, unknown>) =>
  executor.run(flows.get(flow)!, {
    input,
    header: {},
    params: {},
    requestId: 'r-1',
    signal: new AbortController().signal,
  });

describe('executor: a call ends its node in its own callback', () => {
  it('a root whose request cannot be built fails the flow; the other root started with it is still called', async () => {
    seen.length = 0;
    const result = await run('roots', { n: 5, id: 'a' });
    expect(result).toMatchObject({ ok: false, status: 400 });
    expect(seen).toEqual(['GET /users/a']);
  });

  it('runs a chain in order and answers from the last call', async () => {
    seen.length = 0;
    const result = await run('chain', { id: 'a' });
    expect(result).toMatchObject({ ok: true, body: { name: 'a-next-next-next' } });
    expect(seen).toEqual(['GET /users/a', 'GET /users/a-next', 'GET /users/a-next-next']);
  });

  it('an upstream 4xx fails the flow with its status; its dependents never start', async () => {
    seen.length = 0;
    const result = await run('chain', { id: 'missing' });
    expect(result).toMatchObject({ ok: false, status: 404 });
    expect(seen).toEqual(['GET /users/missing']);
  });

  it('an upstream 5xx fails the flow with its status; its dependents never start', async () => {
    seen.length = 0;
    const result = await run('chain', { id: 'broken' });
    expect(result).toMatchObject({ ok: false, status: 500 });
    expect(seen).toEqual(['GET /users/broken']);
  });
});

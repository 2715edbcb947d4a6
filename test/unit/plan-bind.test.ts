/**
 * The compiled plan is immutable and knows no transport: compile freezes it deeply, and
 * `bind(plan, transports)` prepares the calls beside it. Two plans compiled from the
 * same files with different hosts are bound and run side by side, each reaching its own
 * upstream (real HTTP servers, the real caller and executor).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/compile/plan.js';
import { loadPlan } from '../../src/daemon/load.js';
import { bind } from '../../src/flow/bind.js';
import { Executor } from '../../src/flow/executor.js';
import { createHttpCaller } from '../../src/transport/http/caller.js';

const dir = mkdtempSync(join(tmpdir(), 'maestro-bind-'));
const servers: Server[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

const CONFIG = `
service "shop" "Users" {
  host = "$UPSTREAM"
  method "Get" {
    options {
      endpoint = "/users/:id"
      method   = "GET"
    }
  }
  method "Forget" {
    options {
      endpoint = "/forget/:id"
      method   = "POST"
    }
  }
}
flow "user" {
  resource "u" {
    request "shop.Users" "Get" {
      id = "{{ input:id }}"
    }
    rollback "shop.Users" "Forget" {
      id = "{{ input:id }}"
    }
  }
  resource "fail" {
    depends_on = ["u"]
    request "shop.Users" "Get" {
      id = "{{ input:fail }}"
    }
  }
  output {
    name = "{{ u:name }}"
  }
}
endpoint "user" "http" {
  endpoint = "/users/:id"
}
`;
writeFileSync(join(dir, 'flows.hcl'), CONFIG);

/** An upstream answering `{name}` on GET /users/:id (404 for "missing") and recording every request. */
async function upstream(name: string): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    seen.push(`${req.method} ${req.url}`);
    const status = req.url?.endsWith('/missing') ? 404 : 200;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ name }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function compiled(host: string): Promise<Plan> {
  const { plan, diagnostics } = await loadPlan({ config: [join(dir, 'flows.hcl')], env: { UPSTREAM: host }, cwd: dir });
  expect(diagnostics.errors).toEqual([]);
  return plan!;
}

/** Every plain object and array compile built, reached from the plan. */
function unfrozen(plan: Plan): string[] {
  const stop = new Set<unknown>([plan.schemas, plan.functions]);
  const found: string[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object' || stop.has(value) || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Map || value instanceof Set) {
      let i = 0;
      for (const item of value.values()) walk(item, `${path}[${i++}]`);
      return;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return;
    if (!Object.isFrozen(value)) found.push(path);
    for (const [key, item] of Object.entries(value)) walk(item, `${path}.${key}`);
  };
  walk(plan, 'plan');
  return found;
}

const request = (input: Record<string, unknown>) => ({
  input,
  header: {},
  params: {},
  requestId: 'r-1',
  signal: new AbortController().signal,
});

describe('plan and bind', () => {
  it('compile freezes the whole plan: no plain object or array of it can be changed', async () => {
    const plan = await compiled('http://127.0.0.1:1');
    expect(Object.isFrozen(plan)).toBe(true);
    expect(unfrozen(plan)).toEqual([]);
    const node = plan.flows[0]!.nodes[0]!;
    expect(() => {
      (node as { call: unknown }).call = undefined;
    }).toThrow(TypeError);
    expect(() => (plan.flows as unknown[]).push({})).toThrow(TypeError);
    expect(node.call).toBeDefined();
  });

  it('binds two plans side by side; each runs its flows on its own upstream, rollbacks included', async () => {
    const [a, b] = await Promise.all([upstream('from-a'), upstream('from-b')]);
    const [planA, planB] = await Promise.all([compiled(a.url), compiled(b.url)]);
    const caller = createHttpCaller();
    const runnableA = bind(planA, new Map([['http', caller]]));
    const runnableB = bind(planB, new Map([['http', caller]]));
    const logger = pino({ level: 'silent' });
    const executorA = new Executor({ logger, plan: runnableA });
    const executorB = new Executor({ logger, plan: runnableB });

    const [resultA, resultB] = await Promise.all([
      executorA.run(planA.flows[0]!, request({ id: '1', fail: '2' })),
      executorB.run(planB.flows[0]!, request({ id: '3', fail: 'missing' })),
    ]);
    expect(resultA).toMatchObject({ ok: true, body: { name: 'from-a' } });
    expect(resultB).toMatchObject({ ok: false, status: 404 });
    await executorB.drain();
    await caller.close();

    expect(a.seen).toEqual(['GET /users/1', 'GET /users/2']);
    expect(b.seen).toEqual(['GET /users/3', 'GET /users/missing', 'POST /forget/3']);
    // Binding wrote nothing into either plan.
    expect(unfrozen(planA)).toEqual([]);
    expect(Object.keys(planA.flows[0]!.nodes[0]!.call!)).not.toContain('invoke');
  });

  it('an executor refuses a flow of a plan it was not bound to', async () => {
    const [planA, planB] = await Promise.all([compiled('http://127.0.0.1:1'), compiled('http://127.0.0.1:1')]);
    const executor = new Executor({ logger: pino({ level: 'silent' }), plan: bind(planA, new Map()) });
    await expect(executor.run(planB.flows[0]!, request({}))).rejects.toThrow(/not part of the plan/);
  });

  it('a call on a transport without a caller is bound to a 501 answer, not left unbound', async () => {
    const plan = await compiled('http://127.0.0.1:1');
    const runnable = bind(plan, new Map());
    expect(runnable.unsupported).toEqual(['shop.Users (http)']);
    const result = await new Executor({ logger: pino({ level: 'silent' }), plan: runnable }).run(
      plan.flows[0]!,
      request({ id: '1' }),
    );
    expect(result).toMatchObject({ ok: false, status: 501 });
  });
});

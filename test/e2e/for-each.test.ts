/**
 * for_each end to end: one upstream call per element, never more than max_concurrency
 * in flight, answers in input order whatever order the upstream answers in; a failing
 * element fails the resource and the rollbacks of the succeeded elements run, each with
 * its own item and answer; an empty list makes no call; chains and conditions read the
 * list; the same over a gRPC endpoint with typed messages; and validate refuses a
 * for_each that is not a list, or whose items do not fit.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';
import { callUnary, loadProto, serviceConstructor } from '../fixtures/grpc/helpers.js';
import {
  cleanup,
  configDir,
  daemon,
  deferred,
  FLOW_FIXTURES,
  orAfter,
  postJson,
  sendJson,
  upstream,
  waitFor,
  type Deferred,
} from './helpers.js';

const CONFIG = [join(FLOW_FIXTURES, 'for-each.hcl')];
const HOLD_LIMIT_MS = 5_000;

interface Held {
  id: string;
  answer: Deferred;
}

/**
 * The catalog upstream. Line calls are held until `limit` are in flight together (or
 * every element has arrived), then the newest held one is answered: answers come back in
 * the reverse of arrival order, and a caller that stays below the limit would stall (the
 * hold gives up after a few seconds and the test fails on `maxInFlight`).
 */
async function catalog(options: { limit: number; total: number; fail?: string }) {
  let inFlight = 0;
  let maxInFlight = 0;
  let arrived = 0;
  const held: Held[] = [];
  const releaseOne = () => held.pop()?.answer.resolve();
  const server = await upstream(async (_req, res, seen) => {
    const path = seen.url.split('?')[0]!;
    if (path.startsWith('/lines/')) {
      const id = decodeURIComponent(path.slice('/lines/'.length));
      inFlight++;
      arrived++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const mine: Held = { id, answer: deferred() };
      held.push(mine);
      if (inFlight >= options.limit || arrived === options.total) releaseOne();
      await orAfter(mine.answer.promise, HOLD_LIMIT_MS, undefined);
      inFlight--;
      // Each answer lets the next held call go, so the upstream drains once all arrived.
      if (arrived === options.total || held.length >= options.limit) releaseOne();
      if (id === options.fail) return sendJson(res, 409, { message: `no stock for ${id}` });
      const body = JSON.parse(seen.body) as { qty?: number };
      return sendJson(res, 200, { line: `L-${id}`, sku: `sku-${id}`, qty: body.qty });
    }
    if (path.startsWith('/prices/')) return sendJson(res, 200, { sku: path.slice('/prices/'.length), price: 5 });
    if (path === '/confirm') return sendJson(res, 200, { ok: true });
    if (path === '/release') return sendJson(res, 200, {});
    return sendJson(res, 404, { message: `no route ${path}` });
  });
  return { server, stats: () => ({ maxInFlight, inFlight }) };
}

const calls = (seen: { url: string }[], prefix: string) => seen.filter((s) => s.url.startsWith(prefix));

describe('for_each', () => {
  it('100 elements, max_concurrency 8: never more than 8 in flight, all answered, in input order', async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ id: `i${i}`, qty: i }));
    const { server, stats } = await catalog({ limit: 8, total: 100 });
    const { base } = await daemon(CONFIG, { UPSTREAM: server.url });

    const answer = await postJson(`${base}/basket`, { items });
    expect(answer.status).toBe(200);
    const body = answer.json<{ lines: Array<{ line: string; qty: number }>; count: number; confirm: boolean }>();
    expect(body.lines.map((l) => l.line)).toEqual(items.map((i) => `L-${i.id}`));
    expect(body.lines.map((l) => l.qty)).toEqual(items.map((i) => i.qty));
    expect(body.count).toBe(100);
    expect(body.confirm).toBe(true); // the condition read the list: len(lines) > 1
    expect(calls(server.seen, '/lines/')).toHaveLength(100);
    expect(new Set(calls(server.seen, '/lines/').map((s) => s.url)).size).toBe(100);
    expect(stats().maxInFlight).toBe(8);
    // The answers came back newest first, yet the list is in input order (checked above).
    expect(calls(server.seen, '/release')).toHaveLength(0);
  }, 30_000);

  it('a failing element fails the resource; the succeeded elements are rolled back, each with its own item', async () => {
    const items = ['a', 'b', 'bad', 'c', 'd'].map((id) => ({ id, qty: 1 }));
    const { server } = await catalog({ limit: 5, total: 5, fail: 'bad' });
    const { base } = await daemon(CONFIG, { UPSTREAM: server.url });

    const answer = await postJson(`${base}/basket`, { items });
    expect(answer.status).toBe(409);
    expect(answer.json().message).toBe('no stock for bad');
    await waitFor(() => calls(server.seen, '/release').length === 4, 'four rollbacks');
    const released = calls(server.seen, '/release').map(
      (s) => JSON.parse((s as { body: string }).body) as { id: string; line: string },
    );
    expect(released.map((r) => r.id).sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const r of released) expect(r.line).toBe(`L-${r.id}`);
    // Nothing after the failed resource ran.
    expect(calls(server.seen, '/confirm')).toHaveLength(0);
  });

  it('an empty or absent list makes no call and reads as an empty list', async () => {
    const { server } = await catalog({ limit: 1, total: 0 });
    const { base } = await daemon(CONFIG, { UPSTREAM: server.url });

    const empty = await postJson(`${base}/basket`, { items: [] });
    expect(empty.status).toBe(200);
    expect(empty.json()).toEqual({ lines: [], count: 0 });
    const absent = await postJson(`${base}/basket`, {});
    expect(absent.status).toBe(200);
    expect(absent.json()).toEqual({ lines: [], count: 0 });
    expect(server.seen).toHaveLength(0);

    const notList = await postJson(`${base}/basket`, { items: 'abc' });
    expect(notList.status).toBe(400);
    expect(notList.json().message).toContain('for_each of resource "lines" is not a list');
  });

  it('chains: a for_each over the answers of another, inside a condition', async () => {
    const items = ['x', 'y', 'z'].map((id) => ({ id, qty: 2 }));
    const { server } = await catalog({ limit: 3, total: 3 });
    const { base } = await daemon(CONFIG, { UPSTREAM: server.url });

    const answer = await postJson(`${base}/basket`, { items, priced: true });
    expect(answer.status).toBe(200);
    expect(answer.json().prices).toEqual([
      { sku: 'sku-x', price: 5 },
      { sku: 'sku-y', price: 5 },
      { sku: 'sku-z', price: 5 },
    ]);
    expect(
      calls(server.seen, '/prices/')
        .map((s) => s.url)
        .sort(),
    ).toEqual(['/prices/sku-x', '/prices/sku-y', '/prices/sku-z']);
    const confirm = calls(server.seen, '/confirm')[0] as { body: string } | undefined;
    expect((JSON.parse(confirm!.body) as { lines: unknown[] }).lines).toHaveLength(3);
  });
});

describe('for_each over gRPC', () => {
  it('a gRPC endpoint with a typed list: one call per element, answers in order', async () => {
    const server = await upstream((_req, res, seen) =>
      sendJson(res, 200, { id: seen.url.split('/').pop(), line: `L-${seen.url.split('/').pop()}` }),
    );
    const dir = configDir({
      'f.hcl': `
protobuffers = ["${join(FLOW_FIXTURES, 'proto/basket.proto')}"]
grpc {
  address = "127.0.0.1:0"
}
service "shop" "Lines" {
  transport = "http"
  host      = "${server.url}"
  method "Line" {
    options {
      endpoint = "/lines/:id"
      method   = "GET"
    }
  }
}
endpoint "price" "grpc" {
  package = "basket"
  service = "Baskets"
  method  = "Price"
}
flow "price" {
  input "basket.Basket" {}
  resource "lines" {
    for_each        = "{{ input:items }}"
    max_concurrency = 3
    request "shop.Lines" "Line" {
      params {
        id = "{{ item:id }}"
      }
    }
  }
  output "basket.Priced" {
    lines = "{{ lines:. }}"
    count = "{{ len(lines:.) }}"
  }
}`,
    });
    const { daemon: running } = await daemon([join(dir, 'f.hcl')], {});
    const Baskets = serviceConstructor(loadProto(join(FLOW_FIXTURES, 'proto/basket.proto')), 'basket.Baskets');
    const client = new Baskets(running.addresses.grpc!, grpc.credentials.createInsecure());
    cleanup(() => client.close());
    const items = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, qty: 1 }));
    const answer = await callUnary(client, 'Price', { items });
    expect(answer.error).toBeNull();
    expect(answer.response).toEqual({ lines: items.map((i) => ({ id: i.id, line: `L-${i.id}` })), count: 5 });
    expect(server.seen.map((s) => s.url).sort()).toEqual(['/lines/a', '/lines/b', '/lines/c', '/lines/d', '/lines/e']);
  });
});

const TYPED = (forEach: string, fields: string, extra = '') => `
protobuffers = ["${join(FLOW_FIXTURES, 'proto/basket.proto')}"]
service "shop" "Catalog" {
  transport = "http"
  host      = "http://127.0.0.1:1"
  method "Line" {
    request  = "basket.Item"
    response = "basket.Line"
    options {
      endpoint = "/lines"
      method   = "POST"
    }
  }
}
flow "typed" {
  input "basket.Basket" {}
  resource "lines" {
    for_each = "${forEach}"
    ${extra}
    request "shop.Catalog" "Line" {
${fields}
    }
  }
  output {
    first = "{{ lines:. }}"
  }
}
`;

describe('for_each: validate', () => {
  const check = async (hcl: string) => {
    const dir = configDir({ 'flow.hcl': hcl });
    const { plan, diagnostics } = await loadPlan({ config: [join(dir, 'flow.hcl')], env: {} });
    return { plan, errors: diagnostics.errors.map((d) => formatDiagnostic(d).replace(`${dir}/`, '')) };
  };

  it('accepts a list of the right type and checks item: against its element type', async () => {
    const { plan, errors } = await check(
      TYPED('{{ input:items }}', '      id  = "{{ item:id }}"\n      qty = "{{ item:qty }}"'),
    );
    expect(errors).toEqual([]);
    expect(plan!.flows[0]!.nodes[0]!.forEach!.maxConcurrency).toBe(8);
  });

  it('refuses a list whose elements are of the wrong type, naming file and line', async () => {
    const notMessage = await check(TYPED('{{ input:skus }}', '      id = "{{ item:id }}"'));
    expect(notMessage.errors).toEqual([expect.stringMatching(/^flow\.hcl:21: .*"item:id".* is not a message/)]);
    const wrongField = await check(TYPED('{{ input:skus }}', '      qty = "{{ item:. }}"'));
    expect(wrongField.errors).toEqual([
      expect.stringMatching(/^flow\.hcl:21: type mismatch for field "qty": expected .*int32.*, got .*string/),
    ]);
    const unknownField = await check(TYPED('{{ input:items }}', '      id = "{{ item:sku }}"'));
    expect(unknownField.errors).toEqual([expect.stringMatching(/^flow\.hcl:21: unknown field "sku" .*basket\.Item/)]);
  });

  it('refuses a for_each that is not a list, a bad max_concurrency, and item: outside for_each', async () => {
    const notList = await check(TYPED('{{ input:name }}', '      id = "x"'));
    expect(notList.errors).toEqual([
      expect.stringMatching(/^flow\.hcl:18: for_each "\{\{ input:name \}\}" is .*string.*, not a list/),
    ]);
    const zero = await check(TYPED('{{ input:items }}', '      id = "x"', 'max_concurrency = 0'));
    expect(zero.errors).toEqual([
      expect.stringMatching(/^flow\.hcl:19: "max_concurrency" .* must be a whole number of at least 1/),
    ]);
    const huge = await check(TYPED('{{ input:items }}', '      id = "x"', 'max_concurrency = 100000'));
    expect(huge.errors).toEqual([
      expect.stringMatching(/^flow\.hcl:19: max_concurrency 100000 is above the limit of 256/),
    ]);
    const outside = await check(
      TYPED('{{ input:items }}', '      id = "x"').replace('first = "{{ lines:. }}"', 'first = "{{ item:id }}"'),
    );
    expect(outside.errors).toEqual([expect.stringMatching(/unknown resource "item"/)]);
  });

  it('maestro validate exits 1 on a wrong-typed list', async () => {
    const dir = configDir({ 'flow.hcl': TYPED('{{ input:skus }}', '      id = "{{ item:id }}"') });
    const cli = fileURLToPath(new URL('../../dist/cmd/maestro.js', import.meta.url));
    const failed = await promisify(execFile)(process.execPath, [
      cli,
      'validate',
      '--config',
      join(dir, 'flow.hcl'),
    ]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/flow\.hcl:21: .*is not a message/);
  });
});

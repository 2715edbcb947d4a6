/**
 * Schemas from OpenAPI 3 and Avro files (issue #12) driving flows end to end: the types
 * check the flows at compile time, decode and encode the bodies at run time, and the
 * OpenAPI document's operations are the service's methods (HTTP method and path included).
 * Broken files are reported at file:line by `validate`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';
import { configDir, daemon, postJson, send, sendJson, shared, upstream, type Upstream } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/compat', import.meta.url));

describe('schemas from OpenAPI 3 and Avro, end to end', () => {
  let base: string;
  let up: Upstream;

  shared(async () => {
    up = await upstream((req, res, seen) => {
      if (req.method === 'GET' && seen.url === '/pets/7')
        return sendJson(res, 200, { id: 7, name: 'Rex', owner: { name: 'Ann' }, extra: 'dropped' });
      if (req.method === 'POST' && seen.url === '/pets')
        return sendJson(res, 201, { id: 8, ...(JSON.parse(seen.body) as object) });
      if (req.method === 'POST' && seen.url === '/orders') return sendJson(res, 200, seen.body);
      return sendJson(res, 404, { message: 'unexpected call' });
    });
    ({ base } = await daemon([join(FIXTURES, 'schemas.hcl')], { UPSTREAM: up.url }));
    return true;
  });

  it('OpenAPI: an operation is a method with its path, and its response type shapes the output', async () => {
    const res = await send(`${base}/pets/7`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ id: 7, name: 'Rex', owner: { name: 'Ann' } });
    expect(up.seen.at(-1)).toMatchObject({ method: 'GET', url: '/pets/7' });
  });

  it("OpenAPI: an inline request body is a typed input, checked and sent in the operation's method", async () => {
    const res = await postJson(`${base}/pets`, { name: 'Bo', age: 3, unknown: true });
    expect(res.status).toBe(200);
    // vaccinated is absent upstream: written with its default, as for any typed message.
    expect(res.json()).toEqual({ id: 8, name: 'Bo', vaccinated: false });
    expect(up.seen.at(-1)).toMatchObject({ method: 'POST', url: '/pets' });
    expect(JSON.parse(up.seen.at(-1)!.body)).toEqual({ name: 'Bo', age: 3 });

    const calls = up.seen.length;
    const bad = await postJson(`${base}/pets`, { name: 'Bo', age: 'three' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ message: expect.stringContaining('age') });
    expect(up.seen.length).toBe(calls);
  });

  it('Avro: records, enums, arrays, optional fields and longs travel typed and exact', async () => {
    const order = '{"id":"o1","total":9007199254740993,"status":"SHIPPED","lines":[{"sku":"lamp","quantity":2}]}';
    const res = await postJson(`${base}/orders`, order);
    expect(res.status).toBe(200);
    expect(res.text).toContain('"total":9007199254740993');
    expect(JSON.parse(res.text.replace('9007199254740993', '0'))).toEqual({
      id: 'o1',
      total: 0,
      status: 'SHIPPED',
      note: '',
      lines: [{ sku: 'lamp', quantity: 2 }],
    });
    expect(up.seen.at(-1)!.body).toContain('"total":9007199254740993');

    const bad = await postJson(`${base}/orders`, { id: 'o2', total: 1, status: 'LOST' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ message: expect.stringContaining('status') });
  });
});

describe('broken OpenAPI and Avro files give file:line', () => {
  async function errorsOf(files: Record<string, string>): Promise<{ dir: string; errors: string[] }> {
    const dir = configDir(files);
    const { diagnostics } = await loadPlan({ config: [join(dir, 'main.hcl')], env: {} });
    return { dir, errors: diagnostics.errors.map(formatDiagnostic) };
  }

  it('an OpenAPI document the validator refuses', async () => {
    const yaml =
      'openapi: 3.0.3\ninfo:\n  title: x\n  version: "1"\npaths:\n  /a:\n    get:\n      responses:\n        "200":\n          descripton: typo\n';
    const { dir, errors } = await errorsOf({ 'main.hcl': 'openapi3 = ["./api.yaml"]\n', 'api.yaml': yaml });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${join(dir, 'api.yaml')}:9: invalid OpenAPI document: .*description`));
  });

  it('an OpenAPI document that is not YAML', async () => {
    const { dir, errors } = await errorsOf({
      'main.hcl': 'openapi3 = ["./api.yaml"]\n',
      'api.yaml': 'openapi: 3.0.3\ninfo: [unclosed\n',
    });
    expect(errors[0]).toMatch(new RegExp(`^${join(dir, 'api.yaml')}:\\d+: invalid OpenAPI document`));
  });

  it('an OpenAPI schema Maestro cannot type', async () => {
    const yaml =
      'openapi: 3.0.3\ninfo:\n  title: x\n  version: "1"\npaths: {}\ncomponents:\n  schemas:\n    A:\n      type: object\n      properties:\n        grid:\n          type: array\n          items:\n            type: array\n            items:\n              type: string\n';
    const { dir, errors } = await errorsOf({ 'main.hcl': 'openapi3 = ["./api.yaml"]\n', 'api.yaml': yaml });
    expect(errors).toEqual([`${join(dir, 'api.yaml')}:11: arrays of arrays are not supported (OpenAPI schema)`]);
  });

  it('an Avro schema avsc refuses, and a union with no proto form', async () => {
    const refused =
      '{\n  "type": "record",\n  "name": "A",\n  "fields": [\n    { "name": "x", "type": "strin" }\n  ]\n}\n';
    const first = await errorsOf({ 'main.hcl': 'avro = ["./a.avsc"]\n', 'a.avsc': refused });
    expect(first.errors).toHaveLength(1);
    expect(first.errors[0]).toMatch(new RegExp(`^${join(first.dir, 'a.avsc')}:5: invalid Avro schema: .*strin`));

    const union =
      '{\n  "type": "record",\n  "name": "A",\n  "fields": [\n    { "name": "x", "type": ["int", "string"] }\n  ]\n}\n';
    const second = await errorsOf({ 'main.hcl': 'avro = ["./a.avsc"]\n', 'a.avsc': union });
    expect(second.errors).toEqual([
      `${join(second.dir, 'a.avsc')}:5: unions other than ["null", T] have no proto form`,
    ]);
  });

  it('a file that does not exist, at the line that names it', async () => {
    const { dir, errors } = await errorsOf({ 'main.hcl': '\navro = ["./missing.avsc"]\n' });
    expect(errors).toEqual([`${join(dir, 'main.hcl')}:2: avro "${join(dir, 'missing.avsc')}" matches no file`]);
  });
});

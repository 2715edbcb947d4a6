/**
 * `maestro generate openapi3 | graphql | protobuf` from the built CLI, each document
 * checked by a well-kept consumer: the OpenAPI document by @readme/openapi-parser, the
 * SDL by graphql-js's buildSchema, the .proto by protobufjs. Each must describe every
 * flow exposed over its protocol (test/fixtures/compat/generate.hcl exposes three flows
 * over all three, and a proxy over HTTP only).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { validate } from '@readme/openapi-parser';
import { buildSchema, GraphQLObjectType } from 'graphql';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { configDir } from './helpers.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/cmd/maestro.js');
const CONFIG = join(ROOT, 'test/fixtures/compat/generate.hcl');

async function generate(kind: string, config = CONFIG): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, 'generate', kind, '--config', config]);
}

describe('maestro generate', () => {
  it('openapi3: a valid OpenAPI 3 document with every HTTP endpoint', async () => {
    const { stdout } = await generate('openapi3');
    const document = JSON.parse(stdout) as { paths: Record<string, Record<string, { operationId: string }>> };
    const result = await validate(structuredClone(document) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'GET /orders/{id} get_order',
        'POST /orders create_order',
        'GET /ping ping',
        'GET /files/{path} files',
        'DELETE /files/{path} files_delete',
      ]),
    );
    expect(stdout).toContain('"#/components/schemas/compat.shop.Order"');
    // A GET's typed input is read from the query: its scalar and enum fields are parameters.
    const search = (
      document.paths['/search']!.get as unknown as { parameters: Array<{ name: string; in: string; schema: unknown }> }
    ).parameters;
    expect(search).toEqual([
      { name: 'id', in: 'query', required: false, schema: { type: 'string' } },
      { name: 'total', in: 'query', required: false, schema: { type: 'integer', format: 'int64' } },
      {
        name: 'status',
        in: 'query',
        required: false,
        schema: { type: 'string', enum: ['UNKNOWN', 'OPEN', 'SHIPPED'] },
      },
    ]);
  });

  it('graphql: an SDL graphql-js builds, with every GraphQL endpoint', async () => {
    const { stdout, stderr } = await generate('graphql');
    const schema = buildSchema(stdout);
    const query = schema.getQueryType()!;
    const order = query.getFields().order!.type as GraphQLObjectType;
    expect(Object.keys(order.getFields())).toEqual(['get']);
    expect(Object.keys(query.getFields())).toEqual(expect.arrayContaining(['order', 'ping']));
    const mutation = schema.getMutationType()!.getFields().order!.type as GraphQLObjectType;
    expect(Object.keys(mutation.getFields())).toEqual(['create']);
    expect(schema.getType('Status')).toBeDefined();
    // The proxy is served over HTTP only: said on stderr, not invented in the SDL.
    expect(stderr).toContain('not exposed over graphql, so not described: files');
  });

  it('protobuf: a .proto protobufjs loads, with every gRPC endpoint as a method', async () => {
    const { stdout } = await generate('protobuf');
    const dir = configDir({ 'generated.proto': stdout });
    const root = await protobuf.load(join(dir, 'generated.proto'));
    const shop = root.lookupService('compat.shop.Shop');
    expect(Object.keys(shop.methods)).toEqual(['GetOrder', 'CreateOrder']);
    expect(shop.methods.GetOrder!.resolvedRequestType!.fullName).toBe('.compat.shop.OrderQuery');
    expect(shop.methods.GetOrder!.resolvedResponseType!.fullName).toBe('.compat.shop.Order');
    const health = root.lookupService('compat.shop.Health');
    expect(health.methods.Ping!.resolvedRequestType!.fullName).toBe('.google.protobuf.Empty');
    // The types round-trip: a message written with them decodes to the same values.
    const Order = root.lookupType('compat.shop.Order');
    const bytes = Order.encode(
      Order.fromObject({ id: 'o1', total: 7, status: 2, lines: [{ sku: 'a', quantity: 3 }] }),
    ).finish();
    expect(Order.toObject(Order.decode(bytes), { enums: String, longs: Number })).toMatchObject({
      id: 'o1',
      total: 7,
      status: 'SHIPPED',
      lines: [{ sku: 'a', quantity: 3 }],
    });
  });

  it('fails with file:line on a configuration that does not compile', async () => {
    const dir = configDir({ 'broken.hcl': 'flow "x" {\n  resource "a" {\n    request "no.Such" "Call" {}\n  }\n}\n' });
    const file = join(dir, 'broken.hcl');
    await expect(generate('openapi3', file)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`${file}:3: unknown service "no.Such"`),
    });
  });
});

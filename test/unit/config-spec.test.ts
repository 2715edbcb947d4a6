import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldSpec, FlowSpec, Spec } from '../../src/spec/types.js';
import { FIXTURES, errorsOf, load, removeTrees, tree } from '../fixtures/config/helpers.js';

afterAll(removeTrees);

/** Drops positions so shapes can be compared in one expectation. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'pos')
        .map(([k, v]) => [k, shape(v)]),
    );
  }
  return value;
}

const names = (fields: FieldSpec[]) => fields.map((f) => `${f.kind}:${f.name}`);

let spec: Spec;
let checkout: FlowSpec;
let gateway: FlowSpec;

beforeAll(async () => {
  const loaded = await load(['shop/config.hcl'], FIXTURES);
  expect(loaded.errors).toEqual([]);
  spec = loaded.spec;
  checkout = spec.flows[0]!;
  gateway = spec.flows[1]!;
});

describe('Spec: top level', () => {
  it('reads settings and makes paths absolute against the file', () => {
    const dir = join(FIXTURES, 'shop');
    expect(spec.logLevel).toEqual({ value: 'info', pos: { file: join(dir, 'config.hcl'), line: 2, column: 16 } });
    expect(spec.protobuffers.map((p) => p.value)).toEqual([join(dir, 'proto/*.proto')]);
    expect(spec.functions.map((p) => p.value)).toEqual([join(dir, 'functions.mjs')]);
    expect(shape(spec.http)).toEqual({
      address: { value: ':8080' },
      origin: [{ value: '*' }],
      certFile: { value: join(dir, 'certs/cert.pem') },
      keyFile: { value: '/etc/key.pem' },
      bodyLimit: { value: 1048576 },
    });
    expect(spec.grpc?.address.value).toBe(':50051');
  });

  it('reads services, selects, discovery, jwt keys, global error handling and endpoints', () => {
    expect(shape(spec.services)).toEqual([
      {
        package: 'com.shop',
        name: 'Warehouse',
        fullName: 'com.shop.Warehouse',
        transport: { value: 'http' },
        codec: { value: 'json' },
        host: { value: 'http://warehouse:8080' },
        options: {},
        methods: [
          {
            name: 'GetProduct',
            request: { value: 'com.shop.Query' },
            response: { value: 'com.shop.Product' },
            options: { endpoint: { value: '/products/:id' }, method: { value: 'GET' } },
          },
        ],
      },
    ]);
    expect(shape(spec.selects)).toEqual([{ pattern: 'com.shop.*', host: { value: 'http://override:8080' } }]);
    expect(shape(spec.discovery)).toEqual([
      { name: 'consul', provider: 'consul', address: { value: 'http://localhost:8500' } },
    ]);
    expect(shape(spec.jwtKeys)).toEqual([{ name: '', attributes: { secret: { value: 's3cret' } } }]);
    expect(spec.error?.schema).toBe('com.shop.Error');
    expect(shape(spec.onError)).toEqual({ status: { value: 500 }, message: { value: 'failed' }, params: [] });
    expect(shape(spec.endpoints)).toEqual([
      {
        flow: 'checkout',
        protocol: 'http',
        options: { endpoint: { value: '/checkout' }, method: { value: 'POST' }, status: { value: 201 } },
        fields: [],
      },
      {
        flow: 'gateway',
        protocol: 'http',
        options: { endpoint: { value: '/v1/*path' }, method: { value: '*' } },
        fields: [],
      },
    ]);
  });
});

describe('Spec: flow', () => {
  it('lists resources in file order with their kind, place and conditions (outermost first)', () => {
    const summary = checkout.resources.map((r) => [r.name, r.kind, r.before, r.conditions.map((c) => c.expression)]);
    expect(summary).toEqual([
      ['auth', 'call', true, []],
      ['claims', 'value', true, []],
      ['currency', 'value', false, []],
      ['product', 'call', false, []],
      ['payment', 'call', false, []],
      ['shipping', 'call', false, ['{{ product:stock }} > 0']],
      ['express', 'call', false, ['{{ product:stock }} > 0', '{{ input:express }}']],
      ['fast', 'value', false, ['{{ product:stock }} > 0', '{{ input:express }}']],
    ]);
    expect(checkout.resources[2]?.value).toBe('EUR');
    expect(checkout.resources[7]?.value).toBe(true);
  });

  it('reads a resource: depends_on, expect_status, request parts, rollback, error, on_error', () => {
    const product = checkout.resources[3]!;
    expect(shape(product.dependsOn)).toEqual([{ value: 'auth' }]);
    expect(product.expectStatus?.value).toEqual([200, 201]);
    const request = product.request!;
    expect([request.service, request.method]).toEqual(['com.shop.Warehouse', 'GetProduct']);
    expect(names(request.header)).toEqual(['value:Authorization']);
    expect(names(request.params)).toEqual(['value:id']);
    expect(shape(request.options)).toEqual({ timeout: { value: '2s' } });
    // `message = "…"` and `message "address" {}` are both kept, in file order.
    expect(names(request.fields)).toEqual(['value:product', 'value:message', 'message:address', 'repeated:items']);
    expect(request.fields[3]).toMatchObject({ kind: 'repeated', source: 'input:items', fields: [{ name: 'sku' }] });
    expect(shape(product.rollback)).toMatchObject({
      service: 'com.shop.Warehouse',
      method: 'Release',
      fields: [{ name: 'id' }],
    });
    expect(product.error?.schema).toBe('com.shop.Error');
    expect(shape(product.onError)).toEqual({
      status: { value: 409 },
      message: { value: 'out of stock' },
      schema: { value: 'com.shop.UpstreamError' },
      params: [{ kind: 'value', name: 'reason', value: '{{ product.error:reason }}' }],
    });
  });

  it('accepts both rollback forms and a single expect_status', () => {
    const payment = checkout.resources[4]!;
    expect(payment.expectStatus?.value).toEqual([202]);
    expect(shape(payment.rollback)).toMatchObject({
      service: 'com.shop.Payments',
      method: 'Refund',
      fields: [{ name: 'id' }],
    });
  });

  it('reads input, output (header and fields) and the flow on_error', () => {
    expect(checkout.input?.schema).toBe('com.shop.Order');
    expect(checkout.input?.header.map((h) => h.value)).toEqual(['Authorization', 'X-Trace']);
    expect(checkout.output?.schema).toBe('com.shop.Receipt');
    expect(names(checkout.output!.header)).toEqual(['value:X-Order']);
    expect(names(checkout.output!.fields)).toEqual(['value:status', 'value:product']);
    expect(checkout.onError?.message?.value).toBe('checkout failed');
  });

  it('positions nodes at their file and line', () => {
    const file = join(FIXTURES, 'shop/flows/checkout.hcl');
    expect(checkout.pos).toEqual({ file, line: 1, column: 1 });
    expect(checkout.resources[3]?.pos.line).toBe(20);
    expect(checkout.resources[3]?.request?.fields[1]?.pos.line).toBe(38);
    expect(checkout.resources[5]?.conditions[0]?.pos.line).toBe(80);
  });
});

describe('Spec: proxy', () => {
  it('reads input, resources, forward and rewrite rules in file order', () => {
    expect(gateway.kind).toBe('proxy');
    expect(gateway.input?.header.map((h) => h.value)).toEqual(['Authorization']);
    expect(gateway.resources.map((r) => r.name)).toEqual(['auth']);
    expect(shape(gateway.forward)).toEqual({
      service: 'com.shop.Hub',
      header: [{ kind: 'value', name: 'X-User', value: '{{ auth:name }}' }],
    });
    expect(shape(gateway.rewrites)).toEqual([
      { pattern: '/v1/(?P<rest>.*)', template: '/<rest>' },
      { pattern: '/v0/(.*)', template: '/legacy' },
    ]);
  });
});

describe('Spec: validation errors name the place and hint', () => {
  it('reports unknown top-level names with did-you-mean', async () => {
    expect(await errorsOf('flw "x" {}\nlog_levl = "info"\nhttp = "x"')).toEqual([
      'main.hcl:1: unknown block "flw" at the top level — did you mean "flow"?',
      'main.hcl:2: unknown attribute "log_levl" at the top level — did you mean "log_level"?',
      'main.hcl:3: "http" at the top level must be a block (name { … })',
    ]);
  });

  it('reports unknown names inside blocks, naming the block', async () => {
    const text =
      'http {\n  adress = ":1"\n}\nflow "f" {\n  resource "r" {\n    requst "s" "m" {}\n  }\n  forward "x" {}\n}';
    expect(await errorsOf(text)).toEqual([
      'main.hcl:2: unknown attribute "adress" in http — did you mean "address"?',
      'main.hcl:6: unknown block "requst" in resource "r" of flow "f" — did you mean "request"?',
      'main.hcl:8: unknown block "forward" in flow "f"',
    ]);
  });

  it('checks label counts, and allows empty labels', async () => {
    const errors = await errorsOf('flow {}\nproxy {}\nendpoint "f" {}\nservice "p" {}\nflow "" {\n  resource "" {}\n}');
    expect(errors).toEqual([
      'main.hcl:1: block "flow" takes exactly 1 label (flow "<name>" { … }), got 0',
      'main.hcl:2: block "proxy" takes exactly 1 label (proxy "<name>" { … }), got 0',
      'main.hcl:3: block "endpoint" takes exactly 2 labels (endpoint "<flow>" "<protocol>" { … }), got 1',
      'main.hcl:4: block "service" takes exactly 2 labels (service "<package>" "<name>" { … }), got 1',
    ]);
  });

  it('rejects two resources with one name in a flow, and repeated singletons', async () => {
    const text = 'flow "f" {\n  resource "a" {}\n  resources {\n    a = 1\n  }\n  output {}\n  output {}\n}';
    expect(await errorsOf(text)).toEqual([
      'main.hcl:4: duplicate resource "a" in flow "f"; the first is at line 2',
      'main.hcl:7: duplicate output block in flow "f"; the first is at line 6',
    ]);
  });

  it('rejects other blocks in message-shaped bodies and wrong value types', async () => {
    const text = 'flow "f" {\n  output {\n    nested {}\n  }\n  resource "r" {\n    expect_status = "200"\n  }\n}';
    expect(await errorsOf(text)).toEqual([
      'main.hcl:3: unknown block "nested" in output of flow "f"',
      'main.hcl:6: "expect_status" in resource "r" of flow "f" must be a status code or a list of status codes',
    ]);
  });

  it('rejects a rollback without a service and method', async () => {
    const text =
      'flow "f" {\n  resource "r" {\n    rollback {}\n  }\n  resource "s" {\n    rollback "only-service" {}\n  }\n}';
    expect(await errorsOf(text)).toEqual([
      'main.hcl:3: rollback in resource "r" of flow "f" needs a service and a method: ' +
        'rollback "<service>" "<method>" { … } or rollback { request "<service>" "<method>" { … } }',
      'main.hcl:6: block "rollback" takes exactly 2 labels (rollback "<service>" "<method>" { … }), got 1',
    ]);
  });

  it('accepts any attributes and blocks in an endpoint, warning about each one no protocol reads, and reads openapi3 (now supported) as a path', async () => {
    const dir = tree({
      'main.hcl':
        'openapi3 = ["x.yaml"]\nendpoint "f" "http" {\n  random = "v"\n  message "m" {\n    v = 1\n  }\n  extra "e" {}\n}',
    });
    const { spec, errors, warnings } = await load(['main.hcl'], dir);
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.slice(dir.length + 1))).toEqual([
      'main.hcl:3: warning: unknown attribute "random" in endpoint "f" "http" is ignored',
      'main.hcl:4: warning: unknown block "message" in endpoint "f" "http" is ignored',
      'main.hcl:7: warning: unknown block "extra" in endpoint "f" "http" is ignored',
    ]);
    expect(spec.openapi3?.map((p) => p.value)).toEqual([join(dir, 'x.yaml')]);
    expect(names(spec.endpoints[0]!.fields)).toEqual(['message:m', 'message:e']);
  });
});

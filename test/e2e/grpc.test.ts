/**
 * gRPC end to end: real upstreams (grpc-js built from the .proto, node:http), the real
 * daemon on free ports, and clients built only from the .proto files or from reflection.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import descriptor, { type IFileDescriptorProto } from 'protobufjs/ext/descriptor/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import {
  callUnary,
  FIXTURES,
  loadProto,
  rootFromDescriptors,
  reflect,
  sendJson,
  serviceConstructor,
  startGrpcServer,
  startHttpServer,
  type Running,
} from '../fixtures/grpc/helpers.js';

const SHOP = path.join(FIXTURES, 'shop');
const silent = pino({ level: 'silent' });

interface Lookup {
  request: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

describe('gRPC: shop', () => {
  const cleanup: Array<() => Promise<void>> = [];
  const lookups: Lookup[] = [];
  // "slow" answers are held until the suite ends: a 504 or DEADLINE_EXCEEDED can then only
  // come from our own deadline, never from an answer that happened to be late.
  const held: Array<() => void> = [];
  let products: Running & { received: Array<{ url: string; headers: Record<string, string | string[] | undefined> }> };
  let daemon: Daemon;
  let catalog: grpc.Client;

  beforeAll(async () => {
    const shopProto = loadProto(path.join(SHOP, 'proto/catalog.proto'));
    const inventory = await startGrpcServer((server) => {
      server.addService(serviceConstructor(shopProto, 'maestro.catalog.Inventory').service, {
        Lookup(call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) {
          lookups.push({ request: call.request, metadata: call.metadata.getMap() });
          const id = String(call.request.id);
          if (id === 'missing') return callback({ code: grpc.status.NOT_FOUND, details: `no item ${id}` });
          const answer = (): void => {
            const metadata = new grpc.Metadata();
            metadata.set('x-source', 'inventory');
            call.sendMetadata(metadata);
            callback(null, {
              id,
              name: 'Lamp',
              price: { currency: 'EUR', cents: '1999' },
              availability: 'IN_STOCK',
              stock: '9007199254740993',
              checksum: Buffer.from([1, 2, 3]),
            });
          };
          if (id === 'slow') held.push(answer);
          else answer();
        },
      });
    });
    cleanup.push(inventory.close);

    products = await startHttpServer((req, res) => {
      const id = req.url?.split('/').pop();
      if (id === 'missing') return sendJson(res, 404, { message: 'no such product' });
      if (id === 'denied') return sendJson(res, 401, { message: 'who are you' });
      if (id === 'down') return sendJson(res, 503, { message: 'maintenance' });
      const product = {
        id,
        name: 'Chair',
        price: { currency: 'EUR', cents: 4999 },
        availability: 'IN_STOCK',
        tags: ['wood', 'oak'],
      };
      if (id === 'slow') held.push(() => sendJson(res, 200, product));
      else sendJson(res, 200, product);
    });
    cleanup.push(products.close);

    // A port that was just free: nothing listens there.
    const gone = await startGrpcServer(() => undefined);
    await gone.close();

    daemon = await startDaemon({
      config: [path.join(SHOP, 'shop.hcl')],
      env: { INVENTORY_HOST: inventory.address, PRODUCTS_HOST: products.address, GONE_HOST: gone.address },
      http: '127.0.0.1:0',
      grpc: '127.0.0.1:0',
      logger: silent,
    });
    cleanup.push(() => daemon.close());
    const Catalog = serviceConstructor(shopProto, 'maestro.catalog.Catalog');
    catalog = new Catalog(daemon.addresses.grpc!, grpc.credentials.createInsecure());
    cleanup.push(async () => catalog.close());
  });

  afterAll(async () => {
    for (const answer of held.splice(0)) answer();
    for (const close of cleanup.reverse()) await close();
  });

  const http = (route: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`http://${daemon.addresses.http}${route}`, { headers });

  it('(a) serves an HTTP endpoint whose flow calls a gRPC upstream, metadata both ways', async () => {
    const response = await http('/items/i1', { 'x-tenant': 'acme', 'x-request-id': 'req-a' });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-source')).toBe('inventory');
    // int64 stays exact beyond 2^53 on its way from proto to JSON.
    expect(text).toContain('"stock":9007199254740993');
    expect(JSON.parse(text)).toMatchObject({
      id: 'i1',
      name: 'Lamp',
      price: { currency: 'EUR', cents: 1999 },
      availability: 'IN_STOCK',
    });
    const lookup = lookups.find((l) => l.request.id === 'i1')!;
    expect(lookup.request).toEqual({ id: 'i1' });
    expect(lookup.metadata).toMatchObject({ 'x-tenant': 'acme', 'x-request-id': 'req-a' });
  });

  it('(e) maps an upstream NOT_FOUND to HTTP 404', async () => {
    const response = await http('/items/missing');
    expect(response.status).toBe(404);
    // The status text, as Semaphore answered: the upstream's own text is not passed on unmapped.
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ status: 404, message: 'Not Found' });
    expect(text).not.toContain('no item missing');
  });

  it('(e) answers 504 when our own deadline passes, 503 when the upstream is unreachable', async () => {
    const before = held.length;
    expect((await http('/slow-items/slow')).status).toBe(504);
    // The call reached the upstream, which has not answered: the deadline ended it.
    expect(held.length).toBe(before + 1);
    expect((await http('/gone/x')).status).toBe(503);
  });

  it('(b) serves a gRPC endpoint whose flow calls an HTTP upstream, metadata both ways', async () => {
    const answer = await callUnary(
      catalog,
      'GetProduct',
      { id: 'p1' },
      { authorization: 'Bearer t', 'x-request-id': 'req-b' },
    );
    expect(answer.error).toBeNull();
    expect(answer.response).toEqual({
      id: 'p1',
      name: 'Chair',
      price: { currency: 'EUR', cents: '4999' },
      availability: 'IN_STOCK',
      tags: ['wood', 'oak'],
    });
    expect(answer.metadata.get('x-product')).toEqual(['p1']);
    expect(answer.metadata.get('x-request-id')).toEqual(['req-b']);
    const received = products.received.find((r) => r.url === '/products/p1')!;
    expect(received.headers).toMatchObject({ authorization: 'Bearer t', 'x-request-id': 'req-b' });
  });

  it('(b) replaces an over-long incoming request id, as the HTTP listener does (200 characters at most)', async () => {
    const long = 'r'.repeat(201);
    const answer = await callUnary(catalog, 'GetProduct', { id: 'p2' }, { 'x-request-id': long });
    expect(answer.error).toBeNull();
    const [id] = answer.metadata.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const received = products.received.find((r) => r.url === '/products/p2')!;
    expect(received.headers['x-request-id']).toBe(id);
  });

  it.each([
    ['missing', grpc.status.NOT_FOUND],
    ['denied', grpc.status.UNAUTHENTICATED],
    ['down', grpc.status.UNAVAILABLE],
    ['slow', grpc.status.DEADLINE_EXCEEDED],
  ])('(e) a flow failing on "%s" gives the gRPC client code %i', async (id, code) => {
    const answer = await callUnary(catalog, 'GetProduct', { id });
    expect(answer.error?.code).toBe(code);
    expect(answer.error?.details).not.toBe('');
  });

  it('(e) answers INVALID_ARGUMENT to a request that is not a valid message, without calling upstream', async () => {
    const before = products.received.length;
    const client = new grpc.Client(daemon.addresses.grpc!, grpc.credentials.createInsecure());
    const error = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        '/maestro.catalog.Catalog/GetProduct',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0x17]),
        (e) => resolve(e),
      );
    });
    client.close();
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toContain('maestro.catalog.ProductQuery');
    expect(products.received.length).toBe(before);
  });

  it('(d) reflection lists the served services only', async () => {
    const answer = await reflect(daemon.addresses.grpc!, { list_services: '*' });
    const names = answer.list_services_response!.service.map((s) => s.name).sort();
    expect(names).toEqual(['maestro.catalog.Catalog', 'maestro.pricing.Prices']);
  });

  it('(d) reflection resolves a method whose messages live in another file', async () => {
    const files = await describeSymbol(daemon.addresses.grpc!, 'maestro.catalog.Catalog');
    const root = rootFromDescriptors(files);
    const method = root.lookupService('maestro.catalog.Catalog').methods.GetProduct!;
    method.resolve();
    const price = method.resolvedResponseType!.fields.price!;
    price.resolve();
    expect(price.resolvedType?.fullName).toBe('.maestro.common.Money');
    const catalogFile = files.find((f) => f.service?.some((s) => s.name === 'Catalog'))!;
    const moneyFile = files.find((f) => f.package === 'maestro.common')!;
    expect(catalogFile.dependency).toContain(moneyFile.name);
  });

  it('(d) a service no .proto declares is described from its flow and callable from that description', async () => {
    const files = await describeSymbol(daemon.addresses.grpc!, 'maestro.pricing.Prices');
    const root = rootFromDescriptors(files);
    const method = root.lookupService('maestro.pricing.Prices').methods.Get!;
    method.resolve();
    expect(method.resolvedRequestType!.fullName).toBe('.maestro.catalog.ProductQuery');
    expect(method.resolvedResponseType!.fullName).toBe('.maestro.common.Money');

    const client = new grpc.Client(daemon.addresses.grpc!, grpc.credentials.createInsecure());
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    const money = await new Promise<Record<string, unknown>>((resolve, reject) => {
      client.makeUnaryRequest(
        '/maestro.pricing.Prices/Get',
        (value: Record<string, unknown>) => Buffer.from(request.encode(request.fromObject(value)).finish()),
        (bytes: Buffer) => response.toObject(response.decode(bytes), { longs: String }),
        { id: 'p1' },
        (error, value) => (error ? reject(error) : resolve(value!)),
      );
    });
    client.close();
    expect(money).toEqual({ currency: 'EUR', cents: '4999' });
  });
});

describe('gRPC: Semaphore greeter example', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let daemon: Daemon;
  let greeterProto: grpc.GrpcObject;

  beforeAll(async () => {
    greeterProto = loadProto(path.join(FIXTURES, 'greeter/proto/greeter.proto'));
    const upstream = await startGrpcServer((server) => {
      server.addService(serviceConstructor(greeterProto, 'semaphore.greeter.Say').service, {
        Hello(call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
          callback(null, { msg: `hello ${call.request.name}`, meta: { session: '42' } });
        },
      });
    });
    cleanup.push(upstream.close);
    const gateway = path.join(FIXTURES, 'greeter/gateway');
    daemon = await startDaemon({
      config: [path.join(gateway, 'config.hcl'), path.join(gateway, 'upstream.hcl')],
      env: { LOG_LEVEL: 'error', GREETER_HOST: upstream.address },
      http: '127.0.0.1:0',
      grpc: '127.0.0.1:0',
      logger: silent,
    });
    cleanup.push(() => daemon.close());
  });

  afterAll(async () => {
    for (const close of cleanup.reverse()) await close();
  });

  it('(c) answers the HTTP endpoint from the gRPC upstream', async () => {
    const response = await fetch(`http://${daemon.addresses.http}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'world' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ msg: 'hello world', meta: { session: 42 } });
  });

  it('(c) answers the gRPC endpoint from the gRPC upstream', async () => {
    const Say = serviceConstructor(greeterProto, 'semaphore.greeter.Say');
    const client = new Say(daemon.addresses.grpc!, grpc.credentials.createInsecure());
    const answer = await callUnary(client, 'Hello', { name: 'grpc' });
    client.close();
    expect(answer.error).toBeNull();
    expect(answer.response).toEqual({ msg: 'hello grpc', meta: { session: '42' } });
  });
});

/**
 * The descriptors reflection serves for a symbol, checked the way protoc-based clients
 * (grpcurl) link them: every referenced type must be declared in the file itself or in
 * a file its `dependency` list names, and every named dependency must be served.
 */
async function describeSymbol(address: string, symbol: string): Promise<IFileDescriptorProto[]> {
  const answer = await reflect(address, { file_containing_symbol: symbol });
  expect(answer.error_response).toBeUndefined();
  const files = answer.file_descriptor_response!.file_descriptor_proto.map(
    (bytes) =>
      descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes)) as IFileDescriptorProto,
  );
  const byName = new Map(files.map((f) => [f.name!, f]));
  const declared = (file: IFileDescriptorProto): Set<string> => {
    const names = new Set<string>();
    const add = (scope: string, messages: IFileDescriptorProto['messageType'] = []): void => {
      for (const m of messages) {
        names.add(`${scope}.${m.name}`);
        add(`${scope}.${m.name}`, m.nestedType);
        for (const e of m.enumType ?? []) names.add(`${scope}.${m.name}.${e.name}`);
      }
    };
    const pkg = file.package ? `.${file.package}` : '';
    add(pkg, file.messageType);
    for (const e of file.enumType ?? []) names.add(`${pkg}.${e.name}`);
    return names;
  };
  for (const file of files) {
    const dependencies: string[] = file.dependency ?? [];
    for (const dep of dependencies)
      expect(byName.has(dep), `${file.name} depends on ${dep}, which was not served`).toBe(true);
    const visible = new Set([file, ...dependencies.map((d) => byName.get(d)!)].flatMap((f) => [...declared(f)]));
    const refs: string[] = [];
    const collect = (messages: IFileDescriptorProto['messageType'] = []): void => {
      for (const m of messages) {
        for (const f of m.field ?? []) if (f.typeName) refs.push(f.typeName);
        collect(m.nestedType);
      }
    };
    collect(file.messageType);
    for (const s of file.service ?? []) for (const m of s.method ?? []) refs.push(m.inputType!, m.outputType!);
    for (const ref of refs) expect(visible.has(ref), `${file.name} references ${ref} without importing it`).toBe(true);
  }
  return files;
}

/**
 * The pure parts of the gRPC transport: status tables, targets, metadata conversion and
 * the repaired reflection descriptors. No network.
 */
import { Metadata, status as Code } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { parseGrpcHost as parseGrpcTarget } from '../../src/compile/upstream.js';
import { metadataToHeaders, metadataToRequestHeaders, setMetadata } from '../../src/transport/grpc/metadata.js';
import { describeServedFiles } from '../../src/transport/grpc/reflection.js';
import { rootFromDescriptors } from '../fixtures/grpc/helpers.js';
import { grpcCodeName, grpcToHttp, httpToGrpc } from '../../src/transport/grpc/status.js';

describe('grpc status tables', () => {
  it.each([
    [Code.NOT_FOUND, 404],
    [Code.INVALID_ARGUMENT, 400],
    [Code.UNAUTHENTICATED, 401],
    [Code.PERMISSION_DENIED, 403],
    [Code.ALREADY_EXISTS, 409],
    [Code.RESOURCE_EXHAUSTED, 429],
    [Code.UNAVAILABLE, 503],
    [Code.DEADLINE_EXCEEDED, 504],
    [Code.UNIMPLEMENTED, 501],
    [Code.FAILED_PRECONDITION, 400],
    [Code.ABORTED, 409],
    [Code.CANCELLED, 499],
    [Code.INTERNAL, 500],
    [Code.DATA_LOSS, 500],
    [Code.UNKNOWN, 500],
    [99, 500],
  ])('upstream code %i is HTTP %i', (code, status) => {
    expect(grpcToHttp(code)).toBe(status);
  });

  it.each([
    [404, Code.NOT_FOUND],
    [400, Code.INVALID_ARGUMENT],
    [401, Code.UNAUTHENTICATED],
    [403, Code.PERMISSION_DENIED],
    [409, Code.ALREADY_EXISTS],
    [429, Code.RESOURCE_EXHAUSTED],
    [502, Code.UNAVAILABLE],
    [503, Code.UNAVAILABLE],
    [504, Code.DEADLINE_EXCEEDED],
    [501, Code.UNIMPLEMENTED],
    [418, Code.UNKNOWN],
    [500, Code.INTERNAL],
    [599, Code.INTERNAL],
  ])('flow status %i is code %i', (status, code) => {
    expect(httpToGrpc(status)).toBe(code);
  });

  it('names codes', () => {
    expect(grpcCodeName(Code.NOT_FOUND)).toBe('NOT_FOUND');
    expect(grpcCodeName(99)).toBe('CODE_99');
  });
});

describe('grpc targets', () => {
  it.each([
    ['127.0.0.1:5050', '127.0.0.1:5050', false],
    ['http://users:50051', 'users:50051', false],
    ['http://users:50051/', 'users:50051', false],
    ['https://users.example.com:443', 'users.example.com:443', true],
    ['dns:///users:50051', 'dns:///users:50051', false],
    [' unix:///tmp/s.sock ', 'unix:///tmp/s.sock', false],
  ])('%s dials %s', (host, target, secure) => {
    expect(parseGrpcTarget(host)).toEqual({ target, secure });
  });
});

describe('grpc metadata', () => {
  it('copies flow headers, lower-cased, skipping what grpc-js or HTTP/2 own', () => {
    const md = setMetadata(new Metadata(), {
      'X-Tenant': 'acme',
      'Content-Type': 'text/plain',
      'grpc-timeout': '1S',
      'bad key': 'x',
      'trace-bin': Buffer.from([1, 2]).toString('base64'),
      'x-ctl': 'a\nb',
    });
    expect(md.get('x-tenant')).toEqual(['acme']);
    expect(md.get('trace-bin')).toEqual([Buffer.from([1, 2])]);
    expect(Object.keys(md.getMap()).sort()).toEqual(['trace-bin', 'x-tenant']);
  });

  it('flattens metadata into headers, keeping earlier values', () => {
    const md = new Metadata();
    md.add('x-a', '1');
    md.add('x-a', '2');
    md.set('x-b-bin', Buffer.from('hi'));
    expect(metadataToHeaders(md, { 'x-a': 'initial' })).toEqual({
      'x-a': 'initial',
      'x-b-bin': Buffer.from('hi').toString('base64'),
    });
    expect(metadataToRequestHeaders(md)).toEqual({
      'x-a': ['1', '2'],
      'x-b-bin': Buffer.from('hi').toString('base64'),
    });
  });
});

describe('reflection descriptors', () => {
  const root = new protobuf.Root();
  protobuf.parse(
    `syntax = "proto3"; package shop.common; message Money { int64 cents = 1; } enum Kind { K0 = 0; }`,
    root,
    { keepCase: true },
  );
  protobuf.parse(
    `syntax = "proto3"; package shop.catalog;
    message Product { shop.common.Money price = 1; Inner inner = 2; common.Kind kind = 3; map<string, shop.common.Money> prices = 4;
      message Inner { Product back = 1; } }
    message Query { string id = 1; }
    service Catalog { rpc Get(Query) returns (Product); }`,
    root,
    { keepCase: true },
  );
  root.resolveAll();

  const files = describeServedFiles(root, [
    {
      package: 'shop.catalog',
      service: 'shop.catalog.Catalog',
      method: 'Get',
      requestType: 'shop.catalog.Query',
      responseType: 'shop.catalog.Product',
    },
    {
      package: 'shop.catalog',
      service: 'shop.catalog.Catalog',
      method: 'Extra',
      requestType: '',
      responseType: 'shop.common.Money',
    },
    { package: 'ops', service: 'ops.Health', method: 'Check', requestType: '', responseType: '' },
  ]);
  const byPackage = (pkg: string) => files.filter((f) => f.package === pkg);

  it('fills dependency lists from cross-file references', () => {
    const [catalog] = byPackage('shop.catalog');
    const [common] = byPackage('shop.common');
    expect(catalog!.dependency).toEqual(['maestro/empty.proto', common!.name]);
    expect(common!.dependency).toEqual([]);
  });

  it('qualifies every type reference', () => {
    const [catalog] = byPackage('shop.catalog');
    const product = catalog!.messageType!.find((m) => m.name === 'Product')!;
    const typeNames = product.field!.map((f) => f.typeName);
    expect(typeNames.slice(0, 3)).toEqual(['.shop.common.Money', '.shop.catalog.Product.Inner', '.shop.common.Kind']);
    const inner = product.nestedType!.find((m) => m.name === 'Inner')!;
    expect(inner.field![0]!.typeName).toBe('.shop.catalog.Product');
    const entry = product.nestedType!.find((m) => m.options?.mapEntry)!;
    expect(entry.field![1]!.typeName).toBe('.shop.common.Money');
  });

  it('adds served methods and services that no proto declares', () => {
    const [catalog] = byPackage('shop.catalog');
    const methods = catalog!.service![0]!.method!;
    expect(methods.map((m) => [m.name, m.inputType, m.outputType])).toEqual([
      ['Get', '.shop.catalog.Query', '.shop.catalog.Product'],
      ['Extra', '.maestro.grpc.Empty', '.shop.common.Money'],
    ]);
    const [ops] = byPackage('ops');
    expect(ops!.service![0]!.name).toBe('Health');
    expect(ops!.dependency).toEqual(['maestro/empty.proto']);
  });

  it('round-trips through protobufjs', () => {
    const back = rootFromDescriptors(files);
    const method = back.lookupService('shop.catalog.Catalog').methods.Get!;
    method.resolve();
    const price = method.resolvedResponseType!.fields.price!;
    price.resolve();
    expect(price.resolvedType!.fullName).toBe('.shop.common.Money');
  });
});

describe('reflection file names', () => {
  it('are relative to the common directory of the loaded files', () => {
    const root = new protobuf.Root();
    const money = protobuf.parse(`syntax = "proto3"; package a.common; message Money { int64 cents = 1; }`, root, {
      keepCase: true,
    });
    const shop = protobuf.parse(
      `syntax = "proto3"; package a.shop; message Price { a.common.Money money = 1; }`,
      root,
      { keepCase: true },
    );
    void money;
    void shop;
    root.lookup('a.common')!.filename = '/srv/protos/common/money.proto';
    root.lookup('a.shop')!.filename = '/srv/protos/shop.proto';
    root.resolveAll();
    const files = describeServedFiles(root, []);
    expect(files.map((f) => f.name).sort()).toEqual(['common/money.proto', 'shop.proto']);
    expect(files.find((f) => f.name === 'shop.proto')!.dependency).toEqual(['common/money.proto']);
  });
});

/**
 * The `maestro` bin is an esbuild bundle (scripts/bundle.mjs): every transport that loads
 * files of its own at run time must still find them. The bundle, spawned as a user runs
 * it, serves the shop fixture: an HTTP endpoint over a gRPC upstream, a gRPC endpoint over
 * an HTTP upstream, and server reflection (which reads reflection.proto from its package).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callUnary,
  FIXTURES,
  loadProto,
  reflect,
  sendJson,
  serviceConstructor,
  startGrpcServer,
  startHttpServer,
  type Running,
} from '../fixtures/grpc/helpers.js';
import { freePort } from '../fixtures/proxy/helpers.js';

const BIN = fileURLToPath(new URL('../../dist/bundle/maestro.js', import.meta.url));
const SHOP = path.join(FIXTURES, 'shop');

describe('the bundled bin', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  let http: string;
  let grpcAddress: string;
  let stderr = '';

  beforeAll(async () => {
    expect(existsSync(BIN), 'run `npm run build` first').toBe(true);
    const shopProto = loadProto(path.join(SHOP, 'proto/catalog.proto'));
    const inventory: Running = await startGrpcServer((server) => {
      server.addService(serviceConstructor(shopProto, 'maestro.catalog.Inventory').service, {
        Lookup(call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) {
          callback(null, { id: call.request.id, name: 'Lamp', stock: '3' });
        },
      });
    });
    cleanup.push(inventory.close);
    const products = await startHttpServer((req, res) =>
      sendJson(res, 200, { id: req.url?.split('/').pop(), name: 'Chair', tags: ['oak'] }),
    );
    cleanup.push(products.close);

    http = `127.0.0.1:${await freePort()}`;
    grpcAddress = `127.0.0.1:${await freePort()}`;
    const child = spawn(
      process.execPath,
      [BIN, 'daemon', '-c', path.join(SHOP, 'shop.hcl'), '--http', http, '--grpc', grpcAddress, '--log-level', 'warn'],
      {
        env: {
          ...process.env,
          INVENTORY_HOST: inventory.address,
          PRODUCTS_HOST: products.address,
          GONE_HOST: '127.0.0.1:1',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    cleanup.unshift(
      () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    );
    const end = Date.now() + 20_000;
    while (Date.now() < end && child.exitCode === null) {
      const up = await fetch(`http://${http}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(child.exitCode, stderr).toBeNull();
  });

  afterAll(async () => {
    for (const close of cleanup) await close();
  });

  it('serves an HTTP endpoint whose flow calls a gRPC upstream', async () => {
    const response = await fetch(`http://${http}/items/i1`);
    expect(response.status, stderr).toBe(200);
    expect(await response.json()).toMatchObject({ id: 'i1', name: 'Lamp', stock: 3 });
  });

  it('serves a gRPC endpoint and reflection', async () => {
    const Catalog = serviceConstructor(loadProto(path.join(SHOP, 'proto/catalog.proto')), 'maestro.catalog.Catalog');
    const client = new Catalog(grpcAddress, grpc.credentials.createInsecure());
    try {
      const answer = await callUnary(client, 'GetProduct', { id: 'p1' });
      expect(answer.response).toMatchObject({ id: 'p1', name: 'Chair', tags: ['oak'] });
    } finally {
      client.close();
    }
    const listed = await reflect(grpcAddress, { list_services: '' });
    expect(listed.list_services_response?.service.map((s) => s.name)).toContain('maestro.catalog.Catalog');
  });
});

/**
 * A gRPC upstream answering UNAVAILABLE is retried by the service's policy (gRPC calls
 * carry no verb, so no `idempotent` is needed); other codes are not.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { startGrpcServer } from '../fixtures/grpc/helpers.js';
import { cleanup, daemon, postJson } from './helpers.js';

const CONFIG = fileURLToPath(new URL('../fixtures/resilience/grpc-upstream.hcl', import.meta.url));

/** Receipt { charge = 1 } as protobuf bytes. */
const receipt = (charge: string): Buffer =>
  Buffer.concat([Buffer.from([0x0a, Buffer.byteLength(charge)]), Buffer.from(charge)]);

describe('retries of a gRPC upstream', () => {
  it('retries UNAVAILABLE, not FAILED_PRECONDITION', async () => {
    const calls: string[] = [];
    const upstream = await startGrpcServer((server) => {
      const place: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
        const order = call.request.subarray(2).toString('utf8');
        const nth = calls.push(order);
        if (order === 'flaky' && calls.filter((o) => o === 'flaky').length < 3)
          return callback({ code: grpc.status.UNAVAILABLE, details: `try again (${nth})` });
        if (order === 'refused') return callback({ code: grpc.status.FAILED_PRECONDITION, details: 'no' });
        callback(null, receipt(`c-${order}`));
      };
      server.register(
        '/res.orders.Orders/Place',
        place,
        (b: Buffer) => b,
        (b: Buffer) => b,
        'unary',
      );
    });
    cleanup(() => upstream.close());
    const { base } = await daemon(
      [CONFIG],
      { GRPC_UPSTREAM: upstream.address },
      fileURLToPath(new URL('.', `file://${CONFIG}`)),
    );

    const ok = await postJson(`${base}/place`, { order: 'flaky' });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ charge: 'c-flaky' });
    expect(calls).toEqual(['flaky', 'flaky', 'flaky']);

    expect((await postJson(`${base}/place`, { order: 'refused' })).status).toBe(400);
    expect(calls.filter((o) => o === 'refused')).toHaveLength(1);
  });
});

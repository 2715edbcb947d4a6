/**
 * An incoming gRPC deadline bounds the flow as its own timeout would: the flow stops a
 * moment before the client's deadline with DEADLINE_EXCEEDED (504 in the log), and the
 * rollback of the call that succeeded runs.
 */
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { callUnary, loadProto, serviceConstructor } from '../fixtures/grpc/helpers.js';
import { cleanup, sendJson, upstream, waitFor } from './helpers.js';

const POLICIES = fileURLToPath(new URL('../fixtures/resilience/policies.hcl', import.meta.url));
const GRPC = fileURLToPath(new URL('../fixtures/resilience/grpc.hcl', import.meta.url));
const PROTO = fileURLToPath(new URL('../fixtures/resilience/orders.proto', import.meta.url));

describe('flow deadlines over gRPC', () => {
  it("ends the flow at the client's deadline and rolls back", async () => {
    const store = await upstream((_req, res, seen) => {
      if (seen.url === '/read') return sendJson(res, 200, { value: 'r-1' });
      if (seen.url === '/undo') return sendJson(res, 200, {});
      // '/hang' never answers
    });
    const logs: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const daemon = await startDaemon({
      config: [POLICIES, GRPC],
      env: { ...process.env, UPSTREAM: store.url, FLOW_TIMEOUT: '' },
      grpc: '127.0.0.1:0',
      http: '127.0.0.1:0',
      journal: 'memory',
      logger: pino({ level: 'info' }, sink),
    });
    cleanup(() => daemon.close());
    const Orders = serviceConstructor(loadProto(PROTO), 'res.orders.Orders');
    const client = new Orders(daemon.addresses.grpc!, grpc.credentials.createInsecure());
    cleanup(() => client.close());
    // Connected first, so the deadline is not spent setting up the channel.
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + 5_000, (error) => (error ? reject(error) : resolve())),
    );

    const answer = await callUnary(
      client,
      'Place',
      { order: 'o-7' },
      { 'x-request-id': 'grpc-deadline' },
      { deadline: Date.now() + 400 },
    );
    expect(answer.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await waitFor(() => store.seen.some((s) => s.url === '/undo'), 'the rollback of the first call');
    expect(JSON.parse(store.seen.find((s) => s.url === '/undo')!.body)).toEqual({ value: 'o-7' });
    // The flow's own deadline ended it (a 504), not the client going away (a 499).
    await waitFor(
      () => logs.some((l) => l.requestId === 'grpc-deadline' && l.status === 504),
      `the flow to fail with 504: ${JSON.stringify(logs.filter((l) => l.requestId === 'grpc-deadline'))}`,
    );
    expect(String(logs.find((l) => l.requestId === 'grpc-deadline' && l.status === 504)!.msg)).toMatch(
      /did not finish within its deadline/,
    );
  });
});

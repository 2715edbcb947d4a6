/**
 * A stream flow's gRPC upstream (node:http2 stream caller) behind a server-streaming gRPC
 * endpoint (node:http2 listener), when the stream goes wrong after it started: the
 * upstream's status ends the client's stream after the messages that came before it, and
 * a message above the service's max_response_size ends it without being passed on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { loadProto, serviceConstructor, startGrpcServer } from '../fixtures/grpc/helpers.js';
import { cleanup, configDir, daemon, sendJson, upstream } from './helpers.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/stream');

type Tick = { seq: number; topic?: string; pad?: string };

async function start() {
  const proto = loadProto(join(FIXTURES, 'ticks.proto'));
  const ticker = await startGrpcServer((server) => {
    server.addService(serviceConstructor(proto, 'ticks.Ticker').service, {
      Watch: (call: grpc.ServerWritableStream<{ topic: string; count: number; size: number }, Tick>) => {
        for (let seq = 1; seq <= call.request.count; seq++) call.write({ seq, topic: call.request.topic });
        if (call.request.topic === 'fail')
          call.emit('error', { code: grpc.status.NOT_FOUND, details: 'no more ticks' });
        else if (call.request.topic === 'big') {
          call.write({ seq: 99, pad: 'x'.repeat(call.request.size) });
          call.end();
        } else call.end();
      },
    });
  });
  cleanup(() => ticker.close());
  const meta = await upstream((_req, res) => sendJson(res, 200, { label: 'L' }));
  // The fixture's flow, with a bound on each upstream message.
  const config = readFileSync(join(FIXTURES, 'config.hcl'), 'utf8').replace(
    'host      = "$TICKER"',
    'host      = "$TICKER"\n  max_response_size = "2KB"',
  );
  const dir = configDir({ 'config.hcl': config, 'ticks.proto': readFileSync(join(FIXTURES, 'ticks.proto'), 'utf8') });
  const { daemon: running } = await daemon([join(dir, 'config.hcl')], {
    TICKER: ticker.address,
    META: meta.url,
    GRPC_ADDRESS: '127.0.0.1:0',
  });
  const Watcher = serviceConstructor(proto, 'ticks.Watcher');
  const client = new Watcher(running.addresses.grpc!, grpc.credentials.createInsecure());
  cleanup(() => client.close());
  return (request: Record<string, unknown>) =>
    (client as unknown as { Watch(r: unknown): grpc.ClientReadableStream<Tick> }).Watch(request);
}

async function collect(call: grpc.ClientReadableStream<Tick>): Promise<{ ticks: Tick[]; status: grpc.StatusObject }> {
  const ticks: Tick[] = [];
  call.on('data', (tick: Tick) => ticks.push(tick));
  call.on('error', () => undefined);
  // Not events.once: it rejects on the 'error' that comes with a failed status.
  const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  return { ticks, status };
}

describe('gRPC stream flows when the upstream stream fails', () => {
  it("ends the client's stream with the upstream's status after the messages before it", async () => {
    const watch = await start();
    const { ticks, status } = await collect(watch({ topic: 'fail', count: 3 }));
    expect(ticks.map((t) => t.seq)).toEqual([1, 2, 3]);
    expect(status.code).toBe(grpc.status.NOT_FOUND);
    expect(status.details).toContain('no more ticks');
  });

  it("ends it when an upstream message passes the service's max_response_size, without passing that message on", async () => {
    const watch = await start();
    const small = await collect(watch({ topic: 'big', count: 2, size: 1000 }));
    expect(small.ticks.map((t) => t.seq)).toEqual([1, 2, 99]);
    expect(small.status.code).toBe(grpc.status.OK);

    const { ticks, status } = await collect(watch({ topic: 'big', count: 2, size: 4000 }));
    expect(ticks.map((t) => t.seq)).toEqual([1, 2]);
    expect(status.code).toBe(grpc.status.UNAVAILABLE); // 502 for the flow
    expect(status.details).toContain('max_response_size');
  });
});

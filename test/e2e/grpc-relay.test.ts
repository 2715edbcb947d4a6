/**
 * A proxy on gRPC endpoints relays every kind of call to its gRPC target after its check
 * has run: server-streaming (10,000 messages in order), client-streaming, bidi (with the
 * header the proxy adds), a refused check (the target never called), and a client that
 * cancels a bidi call (the target sees it cancelled).
 */
import { once } from 'node:events';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { loadProto, serviceConstructor, startGrpcServer } from '../fixtures/grpc/helpers.js';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';
import { cleanup, configDir, daemon, sendJson, upstream, waitFor } from './helpers.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/stream');
const PROTO = join(FIXTURES, 'ticks.proto');
const N = 10_000;

type Tick = { seq: number; topic?: string; label?: string };

async function startTarget() {
  const state = { calls: 0, cancelled: 0 };
  const proto = loadProto(PROTO);
  const running = await startGrpcServer((server) => {
    server.addService(serviceConstructor(proto, 'ticks.Ticker').service, {
      Watch: async (call: grpc.ServerWritableStream<{ topic: string; count: number }, Tick>) => {
        state.calls++;
        for (let seq = 1; seq <= call.request.count && !call.cancelled; seq++) {
          if (!call.write({ seq, topic: call.request.topic })) await once(call, 'drain');
        }
        call.end();
      },
      Sum: (call: grpc.ServerReadableStream<Tick, Tick>, callback: grpc.sendUnaryData<Tick>) => {
        state.calls++;
        let sum = 0;
        call.on('data', (tick: Tick) => (sum += tick.seq));
        call.on('end', () => callback(null, { seq: sum, label: String(call.metadata.get('x-label')[0]) }));
      },
      Echo: (call: grpc.ServerDuplexStream<Tick, Tick>) => {
        state.calls++;
        const label = String(call.metadata.get('x-label')[0]);
        call.on('cancelled', () => state.cancelled++);
        call.on('data', (tick: Tick) => call.write({ ...tick, label }));
        call.on('end', () => call.end());
      },
    });
  });
  cleanup(() => running.close());
  return { state, address: running.address };
}

async function start() {
  const target = await startTarget();
  const meta = await upstream((_req, res, seen) =>
    seen.url === '/labels/broken' ? sendJson(res, 503, { message: 'no labels' }) : sendJson(res, 200, { label: 'L' }),
  );
  const { daemon: running } = await daemon([join(FIXTURES, 'relay.hcl')], {
    TICKER: target.address,
    META: meta.url,
    GRPC_ADDRESS: '127.0.0.1:0',
  });
  const Ticker = serviceConstructor(loadProto(PROTO), 'ticks.Ticker');
  const client = new Ticker(running.addresses.grpc!, grpc.credentials.createInsecure()) as unknown as Record<
    string,
    (...args: unknown[]) => unknown
  > &
    grpc.Client;
  cleanup(() => client.close());
  return { target, meta, client };
}

const topic = (value: string) => {
  const metadata = new grpc.Metadata();
  metadata.set('x-topic', value);
  return metadata;
};

describe('gRPC proxy: every kind of call relayed', () => {
  it(`server-streaming: ${N} messages in order`, async () => {
    const { client } = await start();
    const call = client.Watch!({ topic: 't', count: N }, topic('news')) as grpc.ClientReadableStream<Tick>;
    const seqs: number[] = [];
    call.on('data', (tick: Tick) => seqs.push(tick.seq));
    const [status] = (await once(call, 'status')) as [grpc.StatusObject];
    expect(status.code).toBe(grpc.status.OK);
    expect(seqs.length).toBe(N);
    expect(seqs.every((s, i) => s === i + 1)).toBe(true);
  }, 30_000);

  it('client-streaming and bidi, with the header the proxy adds', async () => {
    const { client } = await start();
    const sum = await new Promise<Tick>((resolve, reject) => {
      const call = client.Sum!(topic('news'), (error: grpc.ServiceError | null, answer: Tick) =>
        error ? reject(error) : resolve(answer),
      ) as grpc.ClientWritableStream<Tick>;
      for (let seq = 1; seq <= 100; seq++) call.write({ seq });
      call.end();
    });
    expect(sum).toEqual({ seq: 5050, label: 'L' });

    const echo = client.Echo!(topic('news')) as grpc.ClientDuplexStream<Tick, Tick>;
    const back: Tick[] = [];
    echo.on('data', (tick: Tick) => back.push(tick));
    for (let seq = 1; seq <= 1000; seq++) echo.write({ seq, topic: 'e' });
    echo.end();
    const [status] = (await once(echo, 'status')) as [grpc.StatusObject];
    expect(status.code).toBe(grpc.status.OK);
    expect(back.map((t) => t.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(back.every((t) => t.label === 'L' && t.topic === 'e')).toBe(true);
  });

  it('a refused check answers its status and the target is never called', async () => {
    const { client, target } = await start();
    const call = client.Echo!(topic('broken')) as grpc.ClientDuplexStream<Tick, Tick>;
    call.on('error', () => {});
    call.write({ seq: 1 });
    // events.once would reject on the 'error' that comes with a failed status.
    const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    // Issue #12: the message of an upstream failure is its status text, never the upstream's body.
    expect(status.details).toBe('Service Unavailable');
    expect(target.state.calls).toBe(0);
  });

  it('validate refuses a proxy on a gRPC endpoint whose target is not gRPC', async () => {
    const dir = configDir({
      'f.hcl': `
service "web" "Site" {
  transport = "http"
  host      = "http://127.0.0.1:1"
}
endpoint "relay" "grpc" {
  package = "a"
  service = "B"
  method  = "C"
}
proxy "relay" {
  forward "web.Site" {}
}`,
    });
    const { diagnostics } = await loadPlan({ config: [join(dir, 'f.hcl')], env: {} });
    expect(diagnostics.errors.map((d) => formatDiagnostic(d).replace(`${dir}/`, ''))).toEqual([
      'f.hcl:6: proxy "relay" on a gRPC endpoint relays gRPC calls, but its forward target web.Site uses http',
    ]);
  });

  it('a client that cancels a bidi call cancels the target call', async () => {
    const { client, target } = await start();
    const call = client.Echo!(topic('news')) as grpc.ClientDuplexStream<Tick, Tick>;
    call.on('error', () => {});
    call.write({ seq: 1 });
    await once(call, 'data');
    call.cancel();
    await waitFor(() => target.state.cancelled === 1, 'the target to see the call cancelled');
  });
});

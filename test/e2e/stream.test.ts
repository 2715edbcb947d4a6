/**
 * A gRPC server-streaming upstream as a flow resource, served over HTTP: 10,000 messages
 * reach a Server-Sent Events client and a websocket client, in order, each mapped by the
 * output (with the unary resource that ran first); a client that goes away cancels the
 * upstream call (the upstream sees CANCELLED); a prelude failure is a plain HTTP error;
 * and, in a daemon process whose memory is sampled, a heavy stream read by a client that
 * stalls keeps the daemon's RSS flat (backpressure reaches the upstream).
 */
import { once } from 'node:events';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';
import { loadProto, serviceConstructor, startGrpcServer } from '../fixtures/grpc/helpers.js';
import { MB, peakOf, spawnDaemon } from '../fixtures/proxy/helpers.js';
import { cleanup, configDir, daemon, send, sendJson, upstream, waitFor } from './helpers.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/stream');
const CONFIG = join(FIXTURES, 'config.hcl');
const N = 10_000;

interface Ticker {
  address: string;
  /** Calls the upstream saw cancelled, and calls it finished. */
  cancelled: number;
  finished: number;
  /** Messages written in total. */
  written: number;
}

async function startTicker(): Promise<Ticker> {
  const proto = loadProto(join(FIXTURES, 'ticks.proto'));
  const state: Ticker = { address: '', cancelled: 0, finished: 0, written: 0 };
  const running = await startGrpcServer((server) => {
    server.addService(serviceConstructor(proto, 'ticks.Ticker').service, {
      Watch: async (call: grpc.ServerWritableStream<{ topic: string; count: number; size: number }, unknown>) => {
        let gone = false;
        call.on('cancelled', () => {
          gone = true;
          state.cancelled++;
        });
        const pad = 'x'.repeat(call.request.size ?? 0);
        for (let seq = 1; seq <= call.request.count && !gone; seq++) {
          state.written++;
          // Waits while the daemon does not read: this is where backpressure shows.
          if (!call.write({ seq, topic: call.request.topic, pad }))
            await Promise.race([once(call, 'drain'), once(call, 'cancelled')]);
        }
        if (!gone) {
          state.finished++;
          call.end();
        }
      },
    });
  });
  cleanup(() => running.close());
  state.address = running.address;
  return state;
}

async function startAll() {
  const ticker = await startTicker();
  const meta = await upstream((_req, res, seen) =>
    seen.url === '/labels/broken' ? sendJson(res, 503, { message: 'no labels' }) : sendJson(res, 200, { label: 'L' }),
  );
  const { base, daemon: running } = await daemon([CONFIG], {
    TICKER: ticker.address,
    META: meta.url,
    GRPC_ADDRESS: '127.0.0.1:0',
  });
  return { ticker, meta, base, grpcAddress: running.addresses.grpc! };
}

/** Reads SSE events until `stopAfter` data events (then drops the connection) or the end. */
async function readSse(
  url: string,
  stopAfter = Infinity,
): Promise<{
  status: number;
  headers: Record<string, unknown>;
  data: Array<Record<string, unknown>>;
  end: string | undefined;
}> {
  const controller = new AbortController();
  const res = await request(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
  const data: Array<Record<string, unknown>> = [];
  let end: string | undefined;
  let buffer = '';
  try {
    for await (const chunk of res.body) {
      buffer += (chunk as Buffer).toString('utf8');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (event.startsWith('data: ')) data.push(JSON.parse(event.slice(6)) as Record<string, unknown>);
        else end = event;
      }
      if (data.length >= stopAfter) {
        controller.abort();
        break;
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  return { status: res.statusCode, headers: res.headers, data, end };
}

const inOrder = (data: Array<Record<string, unknown>>, n: number) =>
  data.length === n && data.every((d, i) => d.seq === i + 1);

describe('streams: gRPC server-streaming to SSE and websockets', () => {
  it(`${N} messages reach an SSE client in order, mapped by the output`, async () => {
    const { ticker, meta, base } = await startAll();
    const sse = await readSse(`${base}/watch/news?count=${N}`);
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toBe('text/event-stream');
    expect(sse.headers['x-label']).toBe('L');
    expect(sse.data[0]).toMatchObject({ seq: 1, topic: 'news', label: 'L' });
    expect(inOrder(sse.data, N)).toBe(true);
    expect(sse.end).toBe('event: end\ndata: {}');
    expect(meta.seen.map((s) => s.url)).toEqual(['/labels/news']);
    expect(ticker.finished).toBe(1);
  }, 60_000);

  it(`${N} messages reach a websocket client in order`, async () => {
    const { ticker, base } = await startAll();
    const ws = new WebSocket(`${base.replace('http', 'ws')}/watch/live?count=${N}`);
    const data: Array<Record<string, unknown>> = [];
    ws.on('message', (raw) => data.push(JSON.parse(String(raw)) as Record<string, unknown>));
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1000);
    expect(data[0]).toMatchObject({ seq: 1, topic: 'live', label: 'L' });
    expect(inOrder(data, N)).toBe(true);
    expect(ticker.finished).toBe(1);
  }, 60_000);

  it(`${N} messages reach a gRPC client of a server-streaming endpoint in order; cancelling it cancels the upstream`, async () => {
    const { ticker, grpcAddress } = await startAll();
    const Watcher = serviceConstructor(loadProto(join(FIXTURES, 'ticks.proto')), 'ticks.Watcher');
    const client = new Watcher(grpcAddress, grpc.credentials.createInsecure());
    cleanup(() => client.close());
    type Watch = (request: unknown) => grpc.ClientReadableStream<Record<string, unknown>>;
    const watch = (client as unknown as { Watch: Watch }).Watch.bind(client);

    const data: Array<Record<string, unknown>> = [];
    const call = watch({ topic: 'rpc', count: N });
    let label: unknown;
    call.on('metadata', (md: grpc.Metadata) => (label = md.get('x-label')[0]));
    call.on('data', (message: Record<string, unknown>) => data.push(message));
    const [status] = (await once(call, 'status')) as [grpc.StatusObject];
    expect(status.code).toBe(grpc.status.OK);
    expect(label).toBe('L');
    expect(data[0]).toMatchObject({ seq: 1, topic: 'rpc', label: 'L' });
    expect(inOrder(data, N)).toBe(true);

    const endless = watch({ topic: 'rpc', count: 1_000_000 });
    endless.on('error', () => {});
    let received = 0;
    endless.on('data', () => {
      if (++received === 50) endless.cancel();
    });
    await waitFor(() => ticker.cancelled === 1, 'the upstream to see the gRPC stream cancelled');
    expect(ticker.finished).toBe(1);
  }, 60_000);

  it('a client that goes away cancels the upstream call (SSE and websocket)', async () => {
    const { ticker, base } = await startAll();
    const sse = await readSse(`${base}/watch/a?count=1000000`, 50);
    expect(inOrder(sse.data.slice(0, 50), 50)).toBe(true);
    await waitFor(() => ticker.cancelled === 1, 'the upstream to see the SSE stream cancelled');

    const ws = new WebSocket(`${base.replace('http', 'ws')}/watch/b?count=1000000`);
    let received = 0;
    ws.on('message', () => {
      if (++received === 50) ws.terminate();
    });
    await once(ws, 'close');
    await waitFor(() => ticker.cancelled === 2, 'the upstream to see the websocket stream cancelled');
    expect(ticker.finished).toBe(0);
    // Far fewer than the million asked for were produced: the stream stopped.
    expect(ticker.written).toBeLessThan(1_000_000);
  }, 30_000);

  it('a failure before the stream is a plain HTTP error, and the stream is never opened', async () => {
    const { ticker, base } = await startAll();
    const answer = await send(`${base}/watch/broken?count=5`, { headers: { accept: 'text/event-stream' } });
    expect(answer.status).toBe(503);
    // Issue #12: the message of an upstream failure is its status text, never the upstream's body.
    expect(answer.json().message).toBe('Service Unavailable');
    expect(ticker.written).toBe(0);
  });

  it('validate refuses what a stream flow cannot do', async () => {
    const base = (extra: string, endpoint = '') => `
protobuffers = ["${join(FIXTURES, 'ticks.proto')}"]
service "ticks" "Ticker" {
  transport = "grpc"
  host      = "127.0.0.1:1"
}
${endpoint}
flow "watch" {
  input {}
  resource "ticks" {
    request "ticks.Ticker" "Watch" {
      topic = "x"
    }
  }
${extra}
}`;
    const errors = async (hcl: string) => {
      const dir = configDir({ 'f.hcl': hcl });
      const { diagnostics } = await loadPlan({ config: [join(dir, 'f.hcl')], env: {} });
      return diagnostics.errors.map((d) => formatDiagnostic(d).replace(`${dir}/`, ''));
    };
    expect(
      await errors(
        base(
          '  resource "after" {\n    request "ticks.Ticker" "Watch" {\n      topic = "{{ ticks:topic }}"\n    }\n  }',
        ),
      ),
    ).toEqual([expect.stringMatching(/^f\.hcl:\d+: .*two resources that call server-streaming methods/)]);
    expect(
      await errors(base('', 'endpoint "watch" "grpc" {\n  package = "x"\n  service = "Y"\n  method  = "Z"\n}')),
    ).toEqual([
      expect.stringMatching(
        /^f\.hcl:7: flow "watch" answers a stream; its gRPC endpoint x\.Y\/Z must be declared server-streaming/,
      ),
    ]);
    expect(await errors(base('', 'endpoint "watch" "graphql" {\n  path = "watch"\n}'))).toEqual([
      expect.stringMatching(
        /^f\.hcl:7: flow "watch" answers a stream, which is served over HTTP .* or gRPC, not over graphql/,
      ),
    ]);
  });

  it('heavy streams to an SSE and a websocket client that stall keep the daemon process flat in memory', async () => {
    const ticker = await startTicker();
    const meta = await upstream((_req, res) => sendJson(res, 200, { label: 'L' }));
    const daemonProcess = await spawnDaemon(CONFIG, {
      TICKER: ticker.address,
      META: meta.url,
      GRPC_ADDRESS: '127.0.0.1:0',
    });
    cleanup(() => daemonProcess.stop());
    const size = 16 * 1024; // 10,000 × 16 KB = 160 MB through the daemon
    const warm = await readSse(`http://${daemonProcess.address}/watch/warm?count=200&size=${size}`);
    expect(warm.data).toHaveLength(200);
    const before = daemonProcess.rss();
    const peak = peakOf(() => daemonProcess.rss());
    const res = await request(`http://${daemonProcess.address}/watch/heavy?count=${N}&size=${size}`);
    let events = 0;
    let lastSeq = 0;
    let buffer = '';
    let stalled = false;
    for await (const chunk of res.body) {
      buffer += (chunk as Buffer).toString('utf8');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!event.startsWith('data: ')) continue;
        const seq = (JSON.parse(event.slice(6)) as { seq: number }).seq;
        expect(seq).toBe(lastSeq + 1);
        lastSeq = seq;
        events++;
      }
      if (!stalled && events >= N / 4) {
        stalled = true;
        // The client stops reading. A daemon that ignored backpressure would let the
        // upstream write the whole stream into its memory; with it, the upstream stalls
        // too, so it is still short of the end when the 3 s bound runs out.
        const until = Date.now() + 3_000;
        while (ticker.written < N && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(ticker.written).toBeLessThan(N);
      }
    }
    expect(events).toBe(N);

    // The same through a websocket whose client pauses reading.
    const writtenBefore = ticker.written;
    const ws = new WebSocket(`ws://${daemonProcess.address}/watch/heavy-ws?count=${N}&size=${size}`);
    let frames = 0;
    let inOrderSoFar = true;
    let paused = false;
    let stalledShort = false;
    ws.on('message', (raw) => {
      frames++;
      if ((JSON.parse(String(raw)) as { seq: number }).seq !== frames) inOrderSoFar = false;
      if (!paused && frames >= N / 4) {
        paused = true;
        ws.pause();
        void (async () => {
          const until = Date.now() + 3_000;
          while (ticker.written - writtenBefore < N && Date.now() < until)
            await new Promise((resolve) => setTimeout(resolve, 20));
          stalledShort = ticker.written - writtenBefore < N;
          ws.resume();
        })();
      }
    });
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1000);
    expect(frames).toBe(N);
    expect(inOrderSoFar).toBe(true);
    expect(stalledShort).toBe(true);

    const growth = peak.stop() - before;
    console.log(
      `streams of ${N} × ${size / 1024} KB (SSE, then websocket): daemon RSS growth ${(growth / MB).toFixed(1)} MB`,
    );
    expect(growth).toBeLessThan(50 * MB);
  }, 120_000);
});

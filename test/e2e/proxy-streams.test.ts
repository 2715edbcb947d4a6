/**
 * Large bodies and broken upstreams through a gateway daemon process (the built CLI).
 * 200 MB go up and 200 MB come down while the daemon's resident memory is sampled from
 * /proc/<pid>/status: it must stay flat (each direction also stalls once, so a proxy that
 * ignored backpressure would buffer at full speed and show it). An upstream that dies
 * mid-stream gives the client a clean error, and the next request is served.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EDGE_CONFIG,
  GOOD,
  MB,
  generated,
  peakOf,
  spawnDaemon,
  startAuth,
  startUpstream,
  within,
  type DaemonProcess,
  type Upstream,
} from '../fixtures/proxy/helpers.js';

const BIG = 200 * MB;
const RSS_BOUND = 50 * MB;
/** Where each big transfer stalls once, and for how long. */
const STALL_AT = 50 * MB;
const STALL_MS = 400;
/** Digests of the downloads the files service generated, in order. */
const sentDigests: string[] = [];

/** The files service: counts and hashes uploads, generates downloads, and can die mid-stream. */
function files(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url!, 'http://files');
  switch (url.pathname) {
    case '/ok':
      res.end(`fine ${req.headers['x-user']}`);
      return;
    case '/upload': {
      const hash = createHash('sha256');
      let bytes = 0;
      let stalled = url.searchParams.get('stall') === null;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
        if (!stalled && bytes >= STALL_AT) {
          stalled = true;
          req.pause();
          setTimeout(() => req.resume(), STALL_MS);
        }
      });
      req.on('end', () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ bytes, sha256: hash.digest('hex') })),
      );
      return;
    }
    case '/download': {
      const size = Number(url.searchParams.get('size'));
      const body = generated(size);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
      body.stream.pipe(res);
      body.stream.on('end', () => sentDigests.push(body.digest()));
      return;
    }
    case '/reset-download':
      // Promises 10 MB, sends 256 KB, then the connection dies.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(10 * MB) });
      res.write(Buffer.alloc(256 * 1024, 1), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    case '/reset-upload': {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes >= MB) req.socket.destroy();
      });
      return;
    }
    default:
      res.writeHead(404).end();
  }
}

function mb(bytes: number): string {
  return (bytes / MB).toFixed(1);
}

describe('streams through the proxy (daemon process)', () => {
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let upstream: Upstream;
  let daemon: DaemonProcess;
  const base = (): string => `http://${daemon.address}/edge`;

  async function upload(
    size: number,
    query = '',
  ): Promise<{ status: number; answer: { bytes: number; sha256: string }; digest: string }> {
    const body = generated(size);
    const res = await request(`${base()}/upload${query}`, {
      method: 'PUT',
      headers: { ...GOOD, 'content-type': 'application/octet-stream' },
      body: body.stream,
    });
    const answer = (await res.body.json()) as { bytes: number; sha256: string };
    return { status: res.statusCode, answer, digest: body.digest() };
  }

  async function download(size: number, stall: boolean): Promise<{ status: number; bytes: number; digest: string }> {
    const res = await request(`${base()}/download?size=${size}`, { headers: GOOD });
    const hash = createHash('sha256');
    let bytes = 0;
    let stalled = !stall;
    for await (const chunk of res.body) {
      bytes += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
      if (!stalled && bytes >= STALL_AT) {
        stalled = true;
        await new Promise((resolve) => setTimeout(resolve, STALL_MS));
      }
    }
    return { status: res.statusCode, bytes, digest: hash.digest('hex') };
  }

  async function expectServing(): Promise<void> {
    expect(daemon.alive()).toBe(true);
    const ok = await within(request(`${base()}/ok`, { headers: GOOD }), 5_000, 'the next request');
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.text()).toBe('fine ann');
    const small = await within(upload(3 * MB + 17), 5_000, 'the next upload');
    expect(small.status).toBe(200);
    expect(small.answer).toEqual({ bytes: 3 * MB + 17, sha256: small.digest });
  }

  /**
   * Runs `transfer` while sampling the daemon's RSS; prints and returns the figures. A
   * 32 MB transfer of the same kind goes first: an idle V8 heap shrinks its young
   * generation, and the first fast stream regrows it by tens of MB within ~150 ms, which
   * would be measured as growth though no body is held. The cold figure is printed too.
   */
  async function measured<T>(
    what: string,
    warmUp: () => Promise<unknown>,
    transfer: () => Promise<T>,
  ): Promise<{ result: T; growth: number }> {
    const cold = daemon.rss();
    await within(warmUp(), 10_000, `warming up for ${what}`);
    const baseline = daemon.rss();
    const sampler = peakOf(() => daemon.rss());
    const started = Date.now();
    let peak = baseline;
    const result = await within(transfer(), 30_000, what).finally(() => (peak = sampler.stop()));
    const growth = peak - baseline;
    console.log(
      `${what}: daemon pid ${daemon.pid} RSS idle ${mb(cold)} MB, baseline ${mb(baseline)} MB, peak ${mb(peak)} MB, ` +
        `growth ${mb(growth)} MB (${Date.now() - started} ms)`,
    );
    return { result, growth };
  }

  beforeAll(async () => {
    auth = await startAuth();
    upstream = await startUpstream(files);
    daemon = await spawnDaemon(EDGE_CONFIG, { LOG_LEVEL: 'warn', AUTH_HOST: auth.url, FILES_HOST: upstream.url });
    // Warm up every path the big transfers take, so the baseline includes them.
    await expectServing();
    expect(await download(4 * MB, false)).toMatchObject({ status: 200, bytes: 4 * MB });
  });
  afterAll(async () => {
    const code = await daemon?.stop();
    await Promise.all([auth?.close(), upstream?.close()]);
    expect(code).toBe(0);
  });

  it('uploads 200 MB with flat memory', async () => {
    const { result, growth } = await measured(
      'upload 200 MB',
      () => upload(32 * MB),
      () => upload(BIG, '?stall=1'),
    );
    expect(result.status).toBe(200);
    expect(result.answer).toEqual({ bytes: BIG, sha256: result.digest });
    expect(growth).toBeLessThan(RSS_BOUND);
  });

  it('downloads 200 MB with flat memory', async () => {
    const { result, growth } = await measured(
      'download 200 MB',
      () => download(32 * MB, false),
      () => download(BIG, true),
    );
    expect(result).toEqual({ status: 200, bytes: BIG, digest: sentDigests.at(-1) });
    expect(growth).toBeLessThan(RSS_BOUND);
  });

  it('an upstream dying mid-download truncates the answer with an error, then the next request is served', async () => {
    const res = await within(request(`${base()}/reset-download`, { headers: GOOD }), 5_000, 'the response headers');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe(String(10 * MB));
    let received = 0;
    const reading = (async () => {
      for await (const chunk of res.body) received += (chunk as Buffer).length;
    })();
    await expect(within(reading, 5_000, 'the truncated body to fail')).rejects.toThrow(
      /closed|terminated|aborted|reset/i,
    );
    expect(received).toBeLessThan(10 * MB);
    await expectServing();
  });

  it('an upstream dying mid-upload is a 502 for the client, then the next request is served', async () => {
    const body = generated(64 * MB);
    const headers = { ...GOOD, 'x-request-id': 'reset-upload-1' };
    const res = await within(
      request(`${base()}/reset-upload`, { method: 'PUT', headers, body: body.stream }),
      5_000,
      'the failed upload',
    );
    expect(res.statusCode).toBe(502);
    expect(await within(res.body.json(), 5_000, 'the error body')).toEqual({
      status: 502,
      message: 'upstream com.edge.Files failed: connection reset',
    });
    expect(await daemon.waitForLog((line) => line.requestId === 'reset-upload-1')).toMatchObject({
      flow: 'edge',
      status: 502,
    });
    await expectServing();
  });
});

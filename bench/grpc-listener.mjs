// The gRPC listener under load: the S1 flow (and "echo", a flow without upstream calls,
// which leaves the listener's own cost) behind a gRPC endpoint, loaded by h2load (Debian's
// nghttp2-client: 4 connections × 8 calls in flight, pinned beside the upstream; ghz is
// not available) — or, without h2load, a unary client on node:http2 in this process
// (H2Session, 32 calls in flight on one connection, which is then the bottleneck) —
// against the same flow behind the HTTP endpoint loaded by wrk, in interleaved rounds. With --bin a.js,b.js, one daemon per build, loaded in turn every
// round (compare the grpc-js listener of an older build with this one in the same run).
// Prints calls/s and the daemon's CPU per call for each. Not a test.
//   npm run build && node bench/grpc-listener.mjs [rounds] [seconds] [--bin a.js,b.js] [--startup N]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { H2Session } from '../dist/src/transport/grpc/h2-session.js';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { h2load, HAS_H2LOAD, load } from './lib/load.mjs';
import { cpuSeconds, median, pinned, pinSelf, rssMb, waitFor } from './lib/proc.mjs';
import { startUpstream } from './lib/upstream.mjs';

const args = process.argv.slice(2);
const binAt = args.indexOf('--bin');
const bins = binAt >= 0 ? args.splice(binAt, 2)[1].split(',') : ['dist/bundle/maestro.js'];
const startupAt = args.indexOf('--startup');
const startupRuns = startupAt >= 0 ? Number(args.splice(startupAt, 2)[1]) : 0;
const rounds = Number(args[0] ?? 3);
const seconds = Number(args[1] ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const port = 21000 + Math.floor(Math.random() * 200) * 16;
pinSelf(1);
const upstream = await startUpstream({ core: 1, httpPort: port, grpcPort: port + 1 });

const PAYLOAD = Buffer.from([0x0a, 0x01, 0x37]); // GetRequest { id: "7" }
const BODY = join(tmpdir(), `maestro-bench-grpc-${process.pid}.bin`);
writeFileSync(BODY, Buffer.concat([Buffer.from([0, 0, 0, 0, PAYLOAD.length]), PAYLOAD]));
/**
 * With --startup N: each build spawned N times (interleaved) on this config; spawn → the
 * first gRPC answer (Front/Echo, polled every 10 ms), and resident memory 1 s later.
 */
if (startupRuns > 0) {
  const figures = new Map(bins.map((bin) => [bin, { ms: [], rss: [] }]));
  for (let run = 0; run < startupRuns; run++) {
    for (const [i, bin] of bins.entries()) {
      const grpc = `127.0.0.1:${port + 3 + 2 * i}`;
      const env = { ...process.env, BENCH_LISTEN: `127.0.0.1:${port + 2 + 2 * i}`, BENCH_GRPC_LISTEN: grpc };
      Object.assign(env, { BENCH_HTTP: upstream.http, BENCH_GRPC: upstream.grpc });
      const t0 = performance.now();
      const child = spawn(...pinned(0, process.execPath, [bin, 'daemon', '-c', 'bench/flows-grpc/*.hcl']), {
        cwd: root,
        env,
        stdio: 'ignore',
      });
      let session = new H2Session({ authority: grpc, secure: false });
      for (;;) {
        const outcome = await session.unary('/maestro.bench.Front/Echo', {}, PAYLOAD, 1000, () => {});
        if (outcome.code === 0) break;
        session.close();
        await new Promise((resolve) => setTimeout(resolve, 10));
        if (performance.now() - t0 > 20000) throw new Error(`${bin} did not answer`);
        session = new H2Session({ authority: grpc, secure: false });
      }
      figures.get(bin).ms.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      figures.get(bin).rss.push(rssMb(child.pid));
      session.close();
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      });
    }
  }
  for (const [bin, { ms, rss }] of figures)
    console.log(
      `${bin} start-up: spawn → first gRPC answer ${median(ms).toFixed(0)} ms, idle RSS ${median(rss).toFixed(1)} MB`,
    );
}

const daemons = [];
for (const [i, bin] of bins.entries()) {
  const http = `127.0.0.1:${port + 2 + 2 * i}`;
  const grpc = `127.0.0.1:${port + 3 + 2 * i}`;
  const env = {
    ...process.env,
    BENCH_LISTEN: http,
    BENCH_GRPC_LISTEN: grpc,
    BENCH_HTTP: upstream.http,
    BENCH_GRPC: upstream.grpc,
  };
  const child = spawn(...pinned(0, process.execPath, [bin, 'daemon', '-c', 'bench/flows-grpc/*.hcl']), {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!(await waitFor(`http://${http}/s1/7`, 20000))) throw new Error(`the daemon ${bin} did not start`);
  const session = new H2Session({ authority: grpc, secure: false });
  // h2load counts HTTP statuses only: check once that both methods answer OK.
  for (const method of ['Front/Get', 'Front/Echo', 'Upstream/Get']) {
    const outcome = await session.unary(`/maestro.bench.${method}`, {}, PAYLOAD, 10000, () => {});
    if (outcome.code !== 0) throw new Error(`${bin}: ${method} answered ${outcome.code} ${outcome.details}`);
  }
  daemons.push({
    bin,
    child,
    http,
    grpc,
    session,
    results: { grpc: [], http: [], 'grpc echo': [], 'http echo': [], 'grpc proxy': [] },
  });
}

async function grpcLoad(session, ms, method = 'Get') {
  const end = Date.now() + ms;
  let calls = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (Date.now() < end) {
        const outcome = await session.unary(
          `/maestro.bench.${method.includes('/') ? method : `Front/${method}`}`,
          {},
          PAYLOAD,
          10000,
          () => {},
        );
        if (outcome.code === 0) calls++;
        else failed++;
      }
    }),
  );
  return { calls, failed };
}

/** Loads one endpoint of `d`; returns calls/s and the daemon's CPU µs per call. */
async function measure(d, kind, what) {
  const pid = d.child.pid;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  let calls;
  let failed;
  if (kind === 'grpc' && HAS_H2LOAD) {
    const g = await h2load(`http://${d.grpc}/maestro.bench.${what.includes('/') ? what : `Front/${what}`}`, BODY, {
      seconds,
      connections: 4,
      streams: 8,
      core: 1,
    });
    ({ calls, failed } = g);
  } else if (kind === 'grpc') {
    const g = await grpcLoad(d.session, seconds * 1000, what);
    ({ calls, failed } = g);
  } else {
    const h = await load(`http://${d.http}${what}`, { seconds, connections: 32, core: 1 });
    calls = h.rps * ((performance.now() - t0) / 1000);
    failed = h.bad + h.socket;
  }
  const wall = (performance.now() - t0) / 1000;
  return { rps: calls / wall, usPerCall: ((cpuSeconds(pid) - cpu0) * 1e6) / calls, failed };
}

const SCENARIOS = [
  ['grpc', 'grpc', 'Get'],
  ['http', 'http', '/s1/7'],
  ['grpc echo', 'grpc', 'Echo'],
  ['http echo', 'http', '/echo/7'],
  ['grpc proxy', 'grpc', 'Upstream/Get'],
];
for (const d of daemons) await grpcLoad(d.session, 500, 'Echo');
for (let r = 0; r < rounds; r++) {
  for (const [name, kind, what] of SCENARIOS) {
    for (const d of daemons) {
      const result = await measure(d, kind, what);
      d.results[name].push(result);
      console.error(
        `round ${r + 1} ${d.bin} ${name}: ${result.rps.toFixed(0)} calls/s, ${result.usPerCall.toFixed(0)} µs CPU per call`,
      );
    }
  }
}
for (const d of daemons) {
  for (const [name, list] of Object.entries(d.results)) {
    if (list.length === 0) continue;
    console.log(
      `${d.bin} ${name} endpoint: median ${median(list.map((x) => x.rps)).toFixed(0)} calls/s, ${median(list.map((x) => x.usPerCall)).toFixed(0)} µs daemon CPU per call, ${list.reduce((a, x) => a + x.failed, 0)} failed`,
    );
  }
  d.session.close();
  await new Promise((r) => {
    d.child.once('exit', r);
    d.child.kill('SIGTERM');
  });
}
upstream.close();
rmSync(BODY, { force: true });

// The gRPC listener under load: the S1 flow behind a gRPC endpoint (grpc-js server),
// loaded by a small unary client on node:http2 (H2Session; ghz is not available), against
// the same flow behind the HTTP endpoint loaded by wrk, in interleaved rounds. Prints
// calls/s and the daemon's CPU per call for each. Not a test.
//   npm run build && node bench/grpc-listener.mjs [rounds] [seconds]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { H2Session } from '../dist/src/transport/grpc/h2-session.js';
import { load } from './lib/load.mjs';
import { cpuSeconds, median, pinned, pinSelf, waitFor } from './lib/proc.mjs';
import { startUpstream } from './lib/upstream.mjs';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const port = 21000 + Math.floor(Math.random() * 500) * 4;
pinSelf(1);
const upstream = await startUpstream({ core: 1, httpPort: port, grpcPort: port + 1 });
const env = {
  ...process.env,
  BENCH_LISTEN: `127.0.0.1:${port + 2}`,
  BENCH_GRPC_LISTEN: `127.0.0.1:${port + 3}`,
  BENCH_HTTP: upstream.http,
};
const daemon = spawn(
  ...pinned(0, process.execPath, ['dist/bundle/maestro.js', 'daemon', '-c', 'bench/flows-grpc/*.hcl']),
  { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] },
);
if (!(await waitFor(`http://127.0.0.1:${port + 2}/s1/7`, 20000))) throw new Error('the daemon did not start');

const session = new H2Session({ authority: `127.0.0.1:${port + 3}`, secure: false });
const payload = Buffer.from([0x0a, 0x01, 0x37]); // GetRequest { id: "7" }
async function grpcLoad(ms) {
  const end = Date.now() + ms;
  let calls = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (Date.now() < end) {
        const outcome = await session.unary('/maestro.bench.Front/Get', {}, payload, 10000, () => {});
        if (outcome.code === 0) calls++;
        else failed++;
      }
    }),
  );
  return { calls, failed };
}

await grpcLoad(500);
const results = { grpc: [], http: [] };
for (let r = 0; r < rounds; r++) {
  let cpu0 = cpuSeconds(daemon.pid);
  let t0 = performance.now();
  const g = await grpcLoad(seconds * 1000);
  let wall = (performance.now() - t0) / 1000;
  results.grpc.push({
    rps: g.calls / wall,
    usPerCall: ((cpuSeconds(daemon.pid) - cpu0) * 1e6) / g.calls,
    failed: g.failed,
  });
  cpu0 = cpuSeconds(daemon.pid);
  t0 = performance.now();
  const h = await load(`http://127.0.0.1:${port + 2}/s1/7`, { seconds, connections: 32, core: 1 });
  wall = (performance.now() - t0) / 1000;
  results.http.push({
    rps: h.rps,
    usPerCall: ((cpuSeconds(daemon.pid) - cpu0) * 1e6) / (h.rps * wall),
    failed: h.bad + h.socket,
  });
  console.error(`round ${r + 1}: gRPC ${g.calls / seconds} calls/s, HTTP ${h.rps.toFixed(0)} req/s`);
}
for (const [name, list] of Object.entries(results)) {
  console.log(
    `${name} endpoint: median ${median(list.map((x) => x.rps)).toFixed(0)} calls/s, ${median(list.map((x) => x.usPerCall)).toFixed(0)} µs daemon CPU per call, ${list.reduce((a, x) => a + x.failed, 0)} failed`,
  );
}
session.close();
await new Promise((r) => {
  daemon.once('exit', r);
  daemon.kill('SIGTERM');
});
upstream.close();

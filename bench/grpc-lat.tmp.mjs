import { spawn } from 'node:child_process';
import { H2Session } from '../dist/src/transport/grpc/h2-session.js';
import { waitFor, pinned, pinSelf, cpuSeconds } from './lib/proc.mjs';
import { startUpstream } from './lib/upstream.mjs';
const port = 24000 + Math.floor(Math.random() * 100) * 8;
pinSelf(1);
const upstream = await startUpstream({ core: 1, httpPort: port, grpcPort: port + 1 });
for (const bin of process.argv.slice(2)) {
const env = { ...process.env, BENCH_LISTEN: `127.0.0.1:${port + 2}`, BENCH_GRPC_LISTEN: `127.0.0.1:${port + 3}`, BENCH_HTTP: upstream.http };
const child = spawn(...pinned(0, process.execPath, [bin, 'daemon', '-c', 'bench/flows-grpc/*.hcl']), { env, stdio: ['ignore', 'ignore', 'inherit'] });
await waitFor(`http://127.0.0.1:${port + 2}/s1/7`, 20000);
const session = new H2Session({ authority: `127.0.0.1:${port + 3}`, secure: false });
const payload = Buffer.from([0x0a, 0x01, 0x37]);
for (const inflight of [1, 32, 1, 32]) {
  const end = Date.now() + 2000; let calls = 0; const c0 = cpuSeconds(child.pid); const t0 = performance.now();
  await Promise.all(Array.from({ length: inflight }, async () => { while (Date.now() < end) { const o = await session.unary('/maestro.bench.Front/Get', {}, payload, 10000, () => {}); if (o.code === 0) calls++; } }));
  const wall = (performance.now() - t0) / 1000;
  console.log(bin, 'inflight', inflight, 'calls/s', (calls / wall).toFixed(0), 'mean ms', (1000 * wall * inflight / calls).toFixed(3), 'µs CPU/call', ((cpuSeconds(child.pid) - c0) * 1e6 / calls).toFixed(0));
}
session.close();
await new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); });
}
upstream.close();

// CPU per unary call of the gRPC client alternatives against the bench's nginx gRPC
// upstream, in one process pinned to one core (taskset), 32 calls in flight:
//   node:http2 (H2Session, what the daemon uses), grpc-js with one channel, and grpc-js
//   "tuned" (4 channels round-robin, local subchannel pools, retries off).
//   npm run build && taskset -c 0 node bench/grpc-clients.mjs [rounds] [ms]
// Not a test. Rounds are interleaved; prints each run and the medians.
import * as grpc from '@grpc/grpc-js';
import { H2Session } from '../dist/src/transport/grpc/h2-session.js';
import { median } from './lib/proc.mjs';
import { startUpstream } from './lib/upstream.mjs';

const rounds = Number(process.argv[2] ?? 3);
const ms = Number(process.argv[3] ?? 2000);
const up = await startUpstream({ core: 1, httpPort: 18931, grpcPort: 18932 });
const payload = Buffer.from([0x0a, 0x01, 0x37]);
const path = '/maestro.bench.Upstream/Get';
const raw = (b) => b;
const h2 = new H2Session({ authority: up.grpc, secure: false });
const one = new grpc.Client(up.grpc, grpc.credentials.createInsecure());
const tuned = Array.from(
  { length: 4 },
  (_, i) =>
    new grpc.Client(up.grpc, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.bench_channel': i,
      'grpc.enable_retries': 0,
      'grpc.service_config_disable_resolution': 1,
      'grpc.enable_channelz': 0,
    }),
);
let next = 0;
const unaryJs = (client) =>
  new Promise((resolve, reject) =>
    client.makeUnaryRequest(path, raw, raw, payload, new grpc.Metadata(), { deadline: Date.now() + 10000 }, (e, v) =>
      e ? reject(e) : resolve(v),
    ),
  );
const clients = {
  'node:http2': () =>
    h2
      .unary(path, {}, payload, 10000, () => {})
      .then((o) => {
        if (o.code !== 0) throw new Error(o.details);
      }),
  'grpc-js': () => unaryJs(one),
  'grpc-js 4 channels': () => unaryJs(tuned[next++ % tuned.length]),
};

async function run(name, duration) {
  const end = Date.now() + duration;
  let calls = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (Date.now() < end) {
        await clients[name]();
        calls++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { calls: (calls / (performance.now() - t0)) * 1000, usPerCall: (cpu.user + cpu.system) / calls };
}

for (const name of Object.keys(clients)) await run(name, 300); // warm-up
const results = new Map(Object.keys(clients).map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (const name of Object.keys(clients)) {
    const x = await run(name, ms);
    results.get(name).push(x);
    console.error(`round ${r + 1} ${name}: ${x.calls.toFixed(0)} calls/s, ${x.usPerCall.toFixed(1)} µs CPU per call`);
  }
}
for (const [name, list] of results) {
  console.log(
    `${name}: median ${median(list.map((x) => x.calls)).toFixed(0)} calls/s, ${median(list.map((x) => x.usPerCall)).toFixed(1)} µs CPU per call`,
  );
}
h2.close();
one.close();
tuned.forEach((c) => c.close());
up.close();

// Process CPU per unary call of the daemon's gRPC caller (h2-caller.ts: encode, headers,
// deadline timer, abort watch, HTTP/2 stream, decode), for two builds in one process,
// against the bench's gRPC upstream on the other core; rounds interleaved. Without the
// HTTP listener in front, a change to the caller shows far above the noise that
// cpu-compare.mjs's whole-daemon figure has on a shared machine.
//   npm run build && taskset -c 0 node bench/grpc-caller-compare.mjs [--base /tmp/gc-base/dist]
//        [--rounds 8] [--ms 2000]
// Not a test.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';
import { median } from './lib/proc.mjs';
import { startUpstream } from './lib/upstream.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const rounds = Number(option('rounds', 8));
const ms = Number(option('ms', 2000));
const dists = { this: new URL('../dist/', import.meta.url).href };
if (option('base')) dists.base = pathToFileURL(resolve(option('base'))).href + '/';

const up = await startUpstream({ core: 1, httpPort: 18951, grpcPort: 18952 });
const root = protobuf.loadSync(new URL('flows/bench.proto', import.meta.url).pathname);
const callers = {};
for (const [name, dist] of Object.entries(dists)) {
  const { createH2GrpcCaller } = await import(`${dist}src/transport/grpc/h2-caller.js`);
  const { createMessageType } = await import(`${dist}src/schema/build.js`);
  const caller = createH2GrpcCaller();
  const call = caller.prepare({
    service: { fullName: 'maestro.bench.Upstream', grpc: { target: up.grpc, secure: false } },
    method: {
      name: 'Get',
      requestType: createMessageType(root.lookupType('maestro.bench.GetRequest')),
      responseType: createMessageType(root.lookupType('maestro.bench.User')),
    },
    timeoutMs: 10000,
    maxResponseBytes: 10 * 1024 * 1024,
  });
  callers[name] = { caller, call };
}
const signal = new AbortController().signal;

async function run(name, duration) {
  const { call } = callers[name];
  const end = Date.now() + duration;
  let calls = 0;
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: 32 }, async (_, i) => {
      while (Date.now() < end) {
        const result = await call({ body: { id: '7' }, headers: {}, requestId: `r${i}-${calls}` }, signal);
        if (result.status !== 200) throw new Error(JSON.stringify(result.body));
        calls++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / calls;
}

const names = Object.keys(callers);
for (const name of names) await run(name, 500); // warm-up
const results = new Map(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++)
  for (const name of r % 2 ? [...names].reverse() : names) results.get(name).push(await run(name, ms));
for (const [name, list] of results)
  console.log(
    `${name}: median ${median(list).toFixed(1)} µs CPU per call (${list.map((x) => x.toFixed(1)).join(' ')})`,
  );
for (const { caller } of Object.values(callers)) await caller.close();
up.close();

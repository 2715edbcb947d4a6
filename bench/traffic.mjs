// What traffic control costs per request: a one-call flow plain, behind a keyed endpoint
// rate limit (a limit never reached), and cached (every request a hit), once with limits
// counted in the daemon and once in Redis. Prints medians; asserts nothing.
//   npm run build && node bench/traffic.mjs [seconds-per-round] [rounds] [connections] [redis-url]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';

const seconds = Number(process.argv[2] ?? 3);
const rounds = Number(process.argv[3] ?? 1);
const connections = Number(process.argv[4] ?? 20);
const redisUrl = process.argv[5] ?? 'redis://127.0.0.1:6379';
const bin = fileURLToPath(new URL('../dist/cmd/maestro.js', import.meta.url));

const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":7,"name":"Ann"}'));
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

const config = (port, store) => `
http { address = "127.0.0.1:${port}" }
log_level = "warn"
${store}
service "b" "Users" {
  host = "${upstreamUrl}"
  method "Get" {
    options {
      endpoint = "/users/:id"
      method = "GET"
    }
  }
}
${['plain', 'limited', 'cached']
  .map(
    (name) => `
endpoint "${name}" "http" {
  endpoint = "/${name}/:id"
  method = "GET"
  ${name === 'limited' ? 'rate_limit {\n    requests = 100000000\n    every = "1s"\n    key = "{{ input.header:X-Api-Key }}"\n  }' : ''}
}
flow "${name}" {
  input {}
  resource "user" {
    request "b.Users" "Get" { id = "{{ input:id }}" }
    ${name === 'cached' ? 'cache {\n      ttl = "1h"\n    }' : ''}
  }
  output {
    name = "{{ user:name }}"
  }
}`,
  )
  .join('\n')}
`;

const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-traffic-'));
const prefix = `maestro-bench-${randomUUID()}:`;
const setups = [
  ['in-process', 18191, ''],
  ['redis', 18192, `rate_limit_store {\n  redis = "${redisUrl}"\n  prefix = "${prefix}"\n}`],
];
const daemons = [];
for (const [name, port, store] of setups) {
  writeFileSync(join(dir, `${name}.hcl`), config(port, store));
  daemons.push(
    spawn(process.execPath, [bin, 'daemon', '--config', join(dir, `${name}.hcl`)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/readyz`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function measure(url) {
  await autocannon({ url, connections, duration: 1, headers: { 'x-api-key': 'bench' } }); // warm-up, not counted
  const results = [];
  for (let r = 0; r < rounds; r++) {
    const out = await autocannon({ url, connections, duration: seconds, headers: { 'x-api-key': 'bench' } });
    results.push({
      rps: out.requests.average,
      p50: out.latency.p50,
      p99: out.latency.p99,
      errors: out.errors + out.non2xx,
    });
  }
  const median = (k) => results.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  return {
    rps: median('rps'),
    p50: median('p50'),
    p99: median('p99'),
    errors: results.reduce((n, x) => n + x.errors, 0),
  };
}

console.log(`autocannon: ${connections} connections, ${rounds} round(s) of ${seconds} s, medians`);
for (const [name, port] of setups) {
  for (const path of ['plain', 'limited', 'cached']) {
    const m = await measure(`http://127.0.0.1:${port}/${path}/7`);
    console.log(
      `${`${name}, ${path}`.padEnd(24)} ${m.rps.toFixed(0).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  errors ${m.errors}`,
    );
  }
}
for (const d of daemons) d.kill('SIGTERM');
upstream.close();
rmSync(dir, { recursive: true, force: true });
const redis = new Redis(redisUrl);
const keys = await redis.keys(`${prefix}*`);
if (keys.length > 0) await redis.del(...keys);
redis.disconnect();

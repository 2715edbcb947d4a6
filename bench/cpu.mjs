// CPU time the daemon spends per request (S1: one flow, one upstream call), read from
// /proc/<pid>/stat around a fixed number of requests. Less sensitive than req/s to other
// processes sharing the machine, so it can compare builds and settings:
//   npm run build && node bench/cpu.mjs [requests] [concurrency] [dist dir]
//   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:1 node bench/cpu.mjs   # tracing on
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const total = Number(process.argv[2] ?? 20000);
const concurrency = Number(process.argv[3] ?? 16);
const dist = process.argv[4] ? resolve(process.argv[4]) : fileURLToPath(new URL('../dist', import.meta.url));
const TICK_MS = 10; // USER_HZ = 100 on Linux

const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":7,"name":"Ann"}'));
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-cpu-'));
writeFileSync(
  join(dir, 'config.hcl'),
  `
http { address = "127.0.0.1:0" }
log_level = "warn"
service "b" "Users" {
  transport = "http"
  codec = "json"
  host = "http://127.0.0.1:${upstream.address().port}"
  method "Get" {
    options {
      endpoint = "/users/:id"
      method = "GET"
    }
  }
}
endpoint "one" "http" {
  endpoint = "/one/:id"
  method = "GET"
}
flow "one" {
  input {}
  resource "user" {
    request "b.Users" "Get" { id = "{{ input:id }}" }
  }
  output {
    id = "{{ user:id }}"
    name = "{{ user:name }}"
  }
}
`,
);
const port = await new Promise((r) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => r(p));
  });
});
const daemon = spawn(
  process.execPath,
  [join(dist, 'cmd/maestro.js'), 'daemon', '--config', join(dir, 'config.hcl'), '--http', `127.0.0.1:${port}`],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency });
for (let i = 0; i < 200; i++) {
  try {
    const r = await pool.request({ path: '/healthz', method: 'GET' });
    await r.body.dump();
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 50));
  }
}
const cpu = () => {
  const fields = readFileSync(`/proc/${daemon.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime + stime
};
async function run(n) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) {
        const r = await pool.request({ path: '/one/7', method: 'GET' });
        await r.body.dump();
        if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
      }
    }),
  );
}
await run(2000); // warm-up: JIT, pools
const before = cpu();
const started = performance.now();
await run(total);
const ms = cpu() - before;
console.log(
  `${total} requests, ${concurrency} at a time: daemon CPU ${ms} ms = ${((ms * 1000) / total).toFixed(1)} µs/request (wall ${(performance.now() - started).toFixed(0)} ms)`,
);
await pool.close();
daemon.kill('SIGTERM');
upstream.close();
rmSync(dir, { recursive: true, force: true });

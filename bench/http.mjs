// Throughput and latency of Maestro in front of a local upstream, against the upstream
// called directly. Prints medians of several autocannon rounds; asserts nothing.
//   npm run build && node bench/http.mjs [seconds-per-round] [rounds] [connections]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
const connections = Number(process.argv[4] ?? 50);
const bin = fileURLToPath(new URL('../dist/cmd/maestro.js', import.meta.url));

const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = req.url.startsWith('/users/') ? { id: 7, name: 'Ann', email: 'ann@example.com' } : { available: 3 };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-http-'));
writeFileSync(
  join(dir, 'config.hcl'),
  `
http { address = "127.0.0.1:18181" }
log_level = "warn"
service "b" "Users" {
  transport = "http"
  codec = "json"
  host = "${upstreamUrl}"
  method "Get" {
    options {
      endpoint = "/users/:id"
      method = "GET"
    }
  }
  method "Stock" {
    options {
      endpoint = "/stock/:id"
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
endpoint "two" "http" {
  endpoint = "/two/:id"
  method = "GET"
}
flow "two" {
  input {}
  resource "user" {
    request "b.Users" "Get" { id = "{{ input:id }}" }
  }
  resource "stock" {
    request "b.Users" "Stock" { id = "{{ input:id }}" }
  }
  output {
    name = "{{ user:name }}"
    available = "{{ stock:available }}"
  }
}
`,
);
const daemon = spawn(process.execPath, [bin, 'daemon', '--config', join(dir, 'config.hcl')], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
for (let i = 0; i < 100; i++) {
  try {
    await fetch('http://127.0.0.1:18181/healthz');
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function measure(url) {
  const results = [];
  for (let r = 0; r < rounds; r++) {
    const out = await autocannon({ url, connections, duration: seconds });
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

const direct = await measure(`${upstreamUrl}/users/7`);
const one = await measure('http://127.0.0.1:18181/one/7');
const two = await measure('http://127.0.0.1:18181/two/7');
const line = (name, m) =>
  console.log(
    `${name.padEnd(34)} ${m.rps.toFixed(0).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  errors ${m.errors}`,
  );
console.log(`autocannon: ${connections} connections, ${rounds} rounds of ${seconds} s, medians`);
line('upstream directly', direct);
line('maestro, 1 upstream call', one);
line('maestro, 2 concurrent upstream calls', two);
console.log(`ratio maestro(1 call)/direct: ${(one.rps / direct.rps).toFixed(2)}`);
daemon.kill('SIGTERM');
upstream.close();
rmSync(dir, { recursive: true, force: true });

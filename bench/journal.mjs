// The cost of the rollback journal. A chain of three calls, each with a rollback, all
// succeeding (so each request opens a record, writes three steps and closes it), served
// with the journal on SQLite (the default), with PostgreSQL when MAESTRO_BENCH_PG is set,
// and with --journal memory; and the same chain without rollbacks, which writes nothing.
// Prints medians of several autocannon rounds; asserts nothing.
//   npm run build && node bench/journal.mjs [seconds-per-round] [rounds] [connections]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
const connections = Number(process.argv[4] ?? 20);
const bin = fileURLToPath(new URL('../dist/cmd/maestro.js', import.meta.url));
const PORT = 18191;

const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id":"x-1","amount":3}');
  });
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

const step = (name, after, withRollback) => `
  resource "${name}" {
    ${after ? `depends_on = ["${after}"]` : ''}
    request "b.Store" "Do" {
      step = "${name}"
    }
    ${withRollback ? `rollback "b.Store" "Undo" {\n      id = "{{ ${name}:id }}"\n    }` : ''}
  }`;
const chain = (flow, withRollback) => `
endpoint "${flow}" "http" {
  endpoint = "/${flow}"
  method = "POST"
}
flow "${flow}" {
  input {}
${step('a', '', withRollback)}
${step('b', 'a', withRollback)}
${step('c', 'b', withRollback)}
  output {
    id = "{{ c:id }}"
  }
}`;
const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-journal-'));
writeFileSync(join(dir, 'config.hcl'), `
log_level = "warn"
service "b" "Store" {
  transport = "http"
  codec = "json"
  host = "${upstreamUrl}"
  method "Do" {
    options {
      endpoint = "/do"
      method = "POST"
    }
  }
  method "Undo" {
    options {
      endpoint = "/undo"
      method = "POST"
    }
  }
}
${chain('saga', true)}
${chain('plain', false)}
`);

async function withDaemon(args, fn) {
  const daemon = spawn(process.execPath, [bin, 'daemon', '--config', join(dir, 'config.hcl'), '--http', `127.0.0.1:${PORT}`, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    try { await fetch(`http://127.0.0.1:${PORT}/readyz`); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  try {
    return await fn();
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
}

async function measure(path) {
  const results = [];
  for (let r = 0; r < rounds; r++) {
    const out = await autocannon({ url: `http://127.0.0.1:${PORT}${path}`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', connections, duration: seconds });
    results.push({ rps: out.requests.average, p50: out.latency.p50, p99: out.latency.p99, errors: out.errors + out.non2xx });
  }
  const median = (k) => results.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  return { rps: median('rps'), p50: median('p50'), p99: median('p99'), errors: results.reduce((n, x) => n + x.errors, 0) };
}

const rows = [];
const line = (name, m) => rows.push(`${name.padEnd(44)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  errors ${m.errors}`);
const memory = await withDaemon(['--journal', 'memory'], async () => ({ saga: await measure('/saga'), plain: await measure('/plain') }));
const sqlite = await withDaemon(['--journal', `sqlite:${join(dir, 'journal.db')}`], async () => ({ saga: await measure('/saga'), plain: await measure('/plain') }));
line('chain of 3 with rollbacks, --journal memory', memory.saga);
line('chain of 3 with rollbacks, SQLite journal', sqlite.saga);
line('chain of 3 without rollbacks, memory', memory.plain);
line('chain of 3 without rollbacks, SQLite journal', sqlite.plain);
if (process.env.MAESTRO_BENCH_PG) {
  const pg = await withDaemon(['--journal', process.env.MAESTRO_BENCH_PG], async () => ({ saga: await measure('/saga') }));
  line('chain of 3 with rollbacks, PostgreSQL journal', pg.saga);
}
console.log(`autocannon: ${connections} connections, ${rounds} rounds of ${seconds} s, medians`);
for (const row of rows) console.log(row);
console.log(`SQLite journal / memory, with rollbacks: ${(sqlite.saga.rps / memory.saga.rps).toFixed(2)}; without rollbacks: ${(sqlite.plain.rps / memory.plain.rps).toFixed(2)}`);
upstream.close();
rmSync(dir, { recursive: true, force: true });

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
writeFileSync(
  join(dir, 'config.hcl'),
  `
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
`,
);

function startDaemon(port, args) {
  const daemon = spawn(
    process.execPath,
    [bin, 'daemon', '--config', join(dir, 'config.hcl'), '--http', `127.0.0.1:${port}`, ...args],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return { port, daemon };
}
async function ready(port) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`daemon on ${port} not ready`);
}
const run = (port, path, duration) =>
  autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    connections,
    duration,
  });

// Every daemon runs at once; rounds are interleaved (each case once per round) so the
// machine's drift spreads over all cases; a warm-up per case is not counted.
const cases = [
  { name: 'chain of 3 with rollbacks, --journal memory', port: PORT, path: '/saga' },
  { name: 'chain of 3 with rollbacks, SQLite journal', port: PORT + 1, path: '/saga' },
  { name: 'chain of 3 without rollbacks, --journal memory', port: PORT, path: '/plain' },
  { name: 'chain of 3 without rollbacks, SQLite journal', port: PORT + 1, path: '/plain' },
];
const daemons = [
  startDaemon(PORT, ['--journal', 'memory']),
  startDaemon(PORT + 1, ['--journal', `sqlite:${join(dir, 'journal.db')}`]),
];
const schema = `maestro_bench_${process.pid}`;
if (process.env.MAESTRO_BENCH_PG) {
  // A schema of its own, dropped afterwards.
  writeFileSync(
    join(dir, 'journal.hcl'),
    `journal {\n  postgres = "${process.env.MAESTRO_BENCH_PG}"\n  schema = "${schema}"\n}\n`,
  );
  daemons.push(startDaemon(PORT + 2, ['--config', join(dir, 'journal.hcl')]));
  cases.push({ name: 'chain of 3 with rollbacks, PostgreSQL journal', port: PORT + 2, path: '/saga' });
}
try {
  for (const d of daemons) await ready(d.port);
  for (const c of cases) await run(c.port, c.path, 2);
  const results = new Map(cases.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const out = await run(c.port, c.path, seconds);
      results.get(c).push({
        rps: out.requests.average,
        p50: out.latency.p50,
        p99: out.latency.p99,
        errors: out.errors + out.non2xx,
      });
    }
  }
  const median = (list, k) => list.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(list.length / 2)];
  console.log(`autocannon: ${connections} connections, ${rounds} interleaved rounds of ${seconds} s, medians`);
  const rps = [];
  for (const c of cases) {
    const list = results.get(c);
    rps.push(median(list, 'rps'));
    console.log(
      `${c.name.padEnd(48)} ${median(list, 'rps').toFixed(0).padStart(6)} req/s  p50 ${median(list, 'p50')} ms  p99 ${median(list, 'p99')} ms  errors ${list.reduce((n, x) => n + x.errors, 0)}`,
    );
  }
  console.log(
    `SQLite journal / memory, with rollbacks: ${(rps[1] / rps[0]).toFixed(2)}; without rollbacks: ${(rps[3] / rps[2]).toFixed(2)}`,
  );
  if (rps[4] !== undefined) console.log(`PostgreSQL journal / memory, with rollbacks: ${(rps[4] / rps[0]).toFixed(2)}`);
} finally {
  for (const d of daemons) d.daemon.kill('SIGTERM');
  await Promise.all(
    daemons.map((d) => new Promise((r) => (d.daemon.exitCode !== null ? r() : d.daemon.once('exit', r)))),
  );
  if (process.env.MAESTRO_BENCH_PG) {
    const { default: postgres } = await import('pg');
    const client = new postgres.Client({ connectionString: process.env.MAESTRO_BENCH_PG });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}
upstream.close();
rmSync(dir, { recursive: true, force: true });

// `npm run bench`: Maestro against a fast local upstream, as fractions of that upstream
// called directly in the same run. Not a test: it asserts nothing and prints figures.
//
//   npm run build && npm run bench [-- --quick] [--rounds 3] [--seconds 5] [--connections 32]
//                                     [--workers N] [--unpinned] [--only S1,S5]
//   npm run bench -- --startup [--startup-runs 5] [--bin a.js,b.js]   start-up and idle RSS only
//   npm run bench -- --bin a.js,b.js   compares builds: a daemon each, loaded in turn every round
//
// The daemon runs on core 0, the upstream (nginx) and the load generator (wrk, else
// autocannon) on core 1 (taskset). Rounds are interleaved: each round runs the direct
// upstream and every scenario once, so a slow spell on the shared machine hits them all.
// Before each round the same CPU job is timed on each core; a round whose cores differ
// by more than 20 % is discarded and run again. Figures are medians of the kept rounds.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUpstream } from './lib/upstream.mjs';
import { HAS_WRK, load } from './lib/load.mjs';
import { calibrate, cpuSeconds, get, HAS_TASKSET, median, pinned, pinSelf, rssMb, waitFor } from './lib/proc.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = flag('quick');
const rounds = Number(option('rounds', 3));
const seconds = Number(option('seconds', quick ? 1 : 5));
const connections = Number(option('connections', 32));
const workers = option('workers', undefined);
const unpinned = flag('unpinned');
const only = option('only', undefined)?.split(',');
const DAEMON_CORE = unpinned ? undefined : 0;
const LOAD_CORE = unpinned ? undefined : 1;

const root = fileURLToPath(new URL('..', import.meta.url));
const journalDir = mkdtempSync(join(tmpdir(), 'maestro-bench-'));
process.on('exit', () => rmSync(journalDir, { recursive: true, force: true }));
// --bin a,b: builds to compare (entry scripts), each measured in the same rounds. An entry
// may start with node flags: --bin '../dist/bundle/maestro.js,--max-semi-space-size=4 ../dist/bundle/maestro.js'.
const bins = option('bin', '../dist/bundle/maestro.js')
  .split(',')
  .map((b) => {
    const words = b.trim().split(/\s+/);
    const script = fileURLToPath(new URL(words.pop(), import.meta.url));
    return [...words, script].join(' ');
  });
const bin = bins[0];
const startupOnly = flag('startup');
const startupRuns = Number(option('startup-runs', 3));
const port = 19000 + Math.floor(Math.random() * 1000) * 4;

if (!unpinned) pinSelf(LOAD_CORE);
const upstream = await startUpstream({ core: LOAD_CORE, httpPort: port + 1, grpcPort: port + 2 });

/** Spawns the daemon on `files`; resolves once `probe` answers 200, with the time it took. */
async function startDaemon(files, listen, probe, entry = bin) {
  // A journal of its own (S3r writes to it), gone with the bench.
  const extra = ['--journal', `sqlite:${join(journalDir, `journal-${listen.replace(/\W/g, '-')}.db`)}`];
  if (workers) extra.push('--workers', workers);
  const env = { ...process.env, BENCH_LISTEN: listen, BENCH_HTTP: upstream.http, BENCH_GRPC: upstream.grpc };
  const start = process.hrtime.bigint();
  const child = spawn(
    ...pinned(DAEMON_CORE, process.execPath, [
      ...entry.split(' '),
      'daemon',
      ...files.flatMap((f) => ['-c', f]),
      ...extra,
    ]),
    { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const ok = await waitFor(`http://${listen}${probe}`, 20000);
  const startupS = Number(process.hrtime.bigint() - start) / 1e9;
  // CPU the daemon spent to get there: less at the mercy of a loaded machine than wall time.
  const startupCpu = cpuSeconds(child.pid);
  if (!ok) throw new Error(`the daemon did not answer ${probe} within 20 s`);
  return {
    child,
    startupS,
    startupCpu,
    stop: () =>
      new Promise((r) => {
        child.once('exit', r);
        child.kill('SIGTERM');
      }),
  };
}

const S1_FILES = ['bench/flows/services.hcl', 'bench/flows/s1-one-call.hcl'];
const ALL_FILES = ['bench/flows/*.hcl'];

// Start-up and idle memory: spawn → first 200 on /s1, then RSS after a second of idling.
// With several --bin, their runs are interleaved so they see the same machine.
const startup = new Map(bins.map((b) => [b, { s1: [], all: [], cpuS1: [], cpuAll: [], idleS1: [], idleAll: [] }]));
for (let i = 0; i < startupRuns; i++) {
  for (const entry of bins) {
    for (const [key, files] of [
      ['s1', S1_FILES],
      ['all', ALL_FILES],
    ]) {
      const d = await startDaemon(files, `127.0.0.1:${port + 3}`, '/s1/7', entry);
      const figures = startup.get(entry);
      figures[key].push(d.startupS);
      figures[key === 's1' ? 'cpuS1' : 'cpuAll'].push(d.startupCpu);
      await new Promise((r) => setTimeout(r, 1000));
      figures[key === 's1' ? 'idleS1' : 'idleAll'].push(rssMb(d.child.pid));
      await d.stop();
    }
  }
}
const fmt = (v, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
const startupLines = [];
for (const [entry, f] of startup) {
  const name = bins.length > 1 ? `${entry}: ` : '';
  startupLines.push(
    `${name}start-up, spawn → first 200 (median of ${startupRuns}): S1-only config ${fmt(median(f.s1), 3)} s, all bench flows ${fmt(median(f.all), 3)} s; daemon CPU until then ${fmt(median(f.cpuS1), 2)} s / ${fmt(median(f.cpuAll), 2)} s`,
  );
  startupLines.push(
    `${name}idle RSS: S1-only config ${fmt(median(f.idleS1), 1)} MB, all bench flows ${fmt(median(f.idleAll), 1)} MB`,
  );
}
if (startupOnly) {
  upstream.close();
  console.log(startupLines.join('\n'));
  process.exit(0);
}

// With several --bin, each gets a daemon of its own (idle while another is loaded) and
// every round loads each in turn, so their figures come from the same minutes.
const daemons = [];
for (const [i, entry] of bins.entries()) {
  const listen = `127.0.0.1:${port + 10 + i}`;
  const d = await startDaemon(ALL_FILES, listen, '/s1/7', entry);
  daemons.push({ ...d, listen, label: bins.length > 1 ? ` [${i + 1}]` : '' });
}
await new Promise((r) => setTimeout(r, 1000));
const idleRss = rssMb(daemons[0].child.pid);

const scenarios = [
  { name: 'direct', url: `${upstream.http}/users/7`, direct: true },
  ...daemons.flatMap(({ listen, label, child }) => [
    { name: `S1 one call${label}`, url: `http://${listen}/s1/7`, pid: child.pid },
    { name: `S2 three concurrent${label}`, url: `http://${listen}/s2/7`, pid: child.pid },
    { name: `S3 chain of three${label}`, url: `http://${listen}/s3/7`, pid: child.pid },
    {
      name: `S3r chain of three with rollbacks (SQLite journal)${label}`,
      url: `http://${listen}/s3r/7`,
      pid: child.pid,
    },
    { name: `S4 proxy${label}`, url: `http://${listen}/s4/users/7`, pid: child.pid },
    { name: `S5 gRPC${label}`, url: `http://${listen}/s5/7`, pid: child.pid },
    { name: `S6 twenty${label}`, url: `http://${listen}/s6/7`, pid: child.pid },
  ]),
  { name: 'direct c1', url: `${upstream.http}/users/7`, direct: true, connections: 1 },
  ...daemons.map(({ listen, label, child }) => ({
    name: `S1 c1${label}`,
    url: `http://${listen}/s1/7`,
    connections: 1,
    pid: child.pid,
  })),
].filter((s) => !only || s.direct || only.some((o) => s.name.startsWith(o)));

// Every scenario must answer 200 before it is timed.
for (const s of scenarios) {
  const { status, body } = await get(s.url);
  if (status !== 200) throw new Error(`${s.name}: ${s.url} answered ${status}: ${body.slice(0, 300)}`);
}

const results = new Map(scenarios.map((s) => [s.name, []]));
let kept = 0;
let discarded = 0;
while (kept < rounds && discarded < rounds * 3) {
  const c0 = calibrate(0);
  const c1 = calibrate(1);
  const spread = Math.abs(c0 - c1) / Math.min(c0, c1);
  if (HAS_TASKSET && !unpinned && spread > 0.2) {
    discarded++;
    console.error(`round discarded: core 0 ${c0.toFixed(3)} s, core 1 ${c1.toFixed(3)} s for the same job`);
    continue;
  }
  const round = [];
  for (const s of scenarios) {
    const pid = s.pid ?? daemons[0].child.pid;
    const cpu0 = cpuSeconds(pid);
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(pid));
    }, 200);
    const started = process.hrtime.bigint();
    const r = await load(s.url, { seconds, connections: s.connections ?? connections, core: LOAD_CORE });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    peak = Math.max(peak, rssMb(pid));
    const cpu = s.direct ? NaN : (100 * (cpuSeconds(pid) - cpu0)) / wall;
    // Requests per second of daemon CPU: on a loaded machine the daemon gets a varying
    // share of its core, and this figure moves much less than req/s does.
    round.push({ s, r: { ...r, cpu, rss: s.direct ? NaN : peak, perCpu: s.direct ? NaN : r.rps / (cpu / 100) } });
  }
  const direct = round.find((x) => x.s.name === 'direct').r.rps;
  const directC1 = round.find((x) => x.s.name === 'direct c1')?.r.rps;
  for (const { s, r } of round)
    results.get(s.name).push({ ...r, ratio: r.rps / (s.connections === 1 ? directC1 : direct) });
  kept++;
  console.error(`round ${kept} kept (cores ${c0.toFixed(3)} / ${c1.toFixed(3)} s)`);
}

for (const d of daemons) await d.stop();
upstream.close();

const lines = [
  `maestro bench: ${kept} rounds kept, ${discarded} discarded; ${seconds} s per run; ${connections} connections (c1: 1); load ${HAS_WRK ? 'wrk -t1' : 'autocannon'}; upstream ${upstream.kind}`,
  `pinning: ${HAS_TASKSET && !unpinned ? 'daemon core 0, upstream + load core 1 (taskset)' : 'none'}${workers ? `; --workers ${workers}` : ''}; node ${process.version}`,
  '',
  '| scenario | req/s | ratio to direct | p50 ms | p99 ms | daemon CPU % | req per daemon CPU-second | daemon RSS MB (peak) | non-2xx | socket errors, timeouts |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
for (const [name, list] of results) {
  const m = (key) => median(list.map((x) => x[key]));
  lines.push(
    `| ${name} | ${fmt(m('rps'))} | ${list[0]?.ratio !== undefined && !name.startsWith('direct') ? fmt(m('ratio'), 2) : '1'} | ${fmt(m('p50'), 2)} | ${fmt(m('p99'), 2)} | ${fmt(m('cpu'))} | ${fmt(m('perCpu'))} | ${fmt(m('rss'), 1)} | ${list.reduce((a, x) => a + x.bad, 0)} | ${list.reduce((a, x) => a + x.socket, 0)} |`,
  );
}
lines.push('');
lines.push(...startupLines);
lines.push(`idle RSS of the bench daemon before load: ${fmt(idleRss, 1)} MB`);
if (bins.length > 1) bins.forEach((b, i) => lines.push(`[${i + 1}] ${b}`));
console.log(lines.join('\n'));

// Daemon CPU per request for the bench scenarios, several builds in the same run, and
// optionally a CPU profile. Unlike run.mjs it discards no rounds: CPU per request (read
// from /proc around each wrk run) depends little on how much of a core the daemon got,
// so it compares builds on a machine other work shares.
//
//   npm run build && node bench/cpu-compare.mjs [--bin a.js,b.js] [--only S1,S4,S6]
//        [--rounds 5] [--seconds 2] [--connections 32]
//   node bench/cpu-compare.mjs --only S1 --prof    # writes a .cpuprofile per build and
//                                                   # prints the top functions by self time
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUpstream } from './lib/upstream.mjs';
import { load } from './lib/load.mjs';
import { cpuSeconds, get, median, waitFor } from './lib/proc.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const rounds = Number(option('rounds', 5));
const seconds = Number(option('seconds', 2));
const connections = Number(option('connections', 32));
const only = option('only', 'S1,S4,S6').split(',');
const prof = args.includes('--prof');
const bins = option('bin', '../dist/bundle/maestro.js')
  .split(',')
  .map((b) => fileURLToPath(new URL(b, import.meta.url)));

const root = fileURLToPath(new URL('..', import.meta.url));
const port = 23000 + Math.floor(Math.random() * 1000) * 4;
const upstream = await startUpstream({ httpPort: port + 1, grpcPort: port + 2 });
const work = mkdtempSync(join(tmpdir(), 'maestro-cpu-compare-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const PATHS = { S1: '/s1/7', S2: '/s2/7', S3: '/s3/7', S4: '/s4/users/7', S5: '/s5/7', S6: '/s6/7' };

const daemons = [];
for (const [i, entry] of bins.entries()) {
  const listen = `127.0.0.1:${port + 10 + i}`;
  const profDir = join(work, `prof-${i}`);
  const node = prof ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  const child = spawn(
    process.execPath,
    [...node, entry, 'daemon', '-c', 'bench/flows/*.hcl', '--journal', `sqlite:${join(work, `j${i}.db`)}`],
    {
      cwd: root,
      env: { ...process.env, BENCH_LISTEN: listen, BENCH_HTTP: upstream.http, BENCH_GRPC: upstream.grpc },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (!(await waitFor(`http://${listen}/s1/7`, 20000))) throw new Error(`${entry} did not start`);
  daemons.push({ entry, listen, child, profDir, us: new Map(only.map((s) => [s, []])) });
}
for (const d of daemons)
  for (const s of only) {
    const { status, body } = await get(`http://${d.listen}${PATHS[s]}`);
    if (status !== 200) throw new Error(`${s} answered ${status}: ${body.slice(0, 200)}`);
  }

for (let r = 0; r < rounds; r++) {
  for (const s of only) {
    for (const d of daemons) {
      const before = cpuSeconds(d.child.pid);
      const result = await load(`http://${d.listen}${PATHS[s]}`, { seconds, connections });
      const cpu = cpuSeconds(d.child.pid) - before;
      if (r > 0 || rounds === 1) d.us.get(s).push((cpu * 1e6) / (result.rps * seconds)); // round 0 warms the JIT
      if (result.bad > 0) console.error(`${s} ${d.entry}: ${result.bad} non-2xx answers`);
    }
  }
}

console.log(
  `daemon CPU µs per request, median of ${Math.max(1, rounds - 1)} rounds × ${seconds} s, ${connections} connections (wrk)`,
);
console.log(['scenario', ...daemons.map((_, i) => `[${i + 1}]`)].join('\t'));
for (const s of only) console.log([s, ...daemons.map((d) => median(d.us.get(s)).toFixed(1))].join('\t'));
daemons.forEach((d, i) => console.log(`[${i + 1}] ${d.entry}`));

for (const d of daemons) {
  await new Promise((resolve) => {
    d.child.once('exit', resolve);
    d.child.kill('SIGTERM');
  });
}
upstream.close();

if (prof) {
  for (const [i, d] of daemons.entries()) {
    const file = readdirSync(d.profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) continue;
    const kept = join(tmpdir(), `maestro-${i + 1}-${Date.now()}.cpuprofile`);
    const profile = JSON.parse(readFileSync(join(d.profDir, file), 'utf8'));
    rmSync(kept, { force: true });
    await import('node:fs').then((fs) => fs.copyFileSync(join(d.profDir, file), kept));
    console.log(`\n[${i + 1}] profile ${kept}: top self time`);
    summarize(profile);
  }
}

/** Self time per function (name and file), and per area (ours, each package, node). */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const area = new Map();
  const dt = profile.timeDeltas;
  let total = 0;
  for (let k = 0; k < profile.samples.length; k++) {
    const node = byId.get(profile.samples[k]);
    const t = dt[k] ?? 0;
    total += t;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^file:\/\//, '').replace(root, '');
    const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + t);
    const a = file.includes('node_modules/')
      ? file.split('node_modules/').pop().split('/')[0]
      : file.startsWith('dist/')
        ? 'maestro'
        : file === ''
          ? functionName
          : 'node';
    area.set(a, (area.get(a) ?? 0) + t);
  }
  const top = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  console.log(top(self, 40));
  console.log('by area:');
  console.log(top(area, 15));
}

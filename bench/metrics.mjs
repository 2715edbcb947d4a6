// Cost of recording one request (count by status + duration) with the hand-written series
// of src/daemon/metrics.ts against prom-client, in ns. The answer decided what the request
// path uses (see NOTES): npm run build && node bench/metrics.mjs
import { Counter, Histogram, Registry } from 'prom-client';
import { Metrics } from '../dist/src/daemon/metrics.js';
const N = 5_000_000;
const reg = new Registry();
const pc = new Counter({ name: 'r', help: 'h', labelNames: ['flow', 'protocol', 'status'], registers: [reg] });
const ph = new Histogram({
  name: 'd',
  help: 'h',
  labelNames: ['flow', 'protocol'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [reg],
});
const m = new Metrics();
const sc = m.requests.statusCounters([
  ['flow', 'one'],
  ['protocol', 'http'],
]);
const hh = m.requestDuration.create([
  ['flow', 'one'],
  ['protocol', 'http'],
]);
const statuses = [200, 200, 200, 404];
function bench(name, fn) {
  for (let i = 0; i < 200000; i++) fn(i);
  const t = performance.now();
  for (let i = 0; i < N; i++) fn(i);
  console.log(name, (((performance.now() - t) * 1e6) / N).toFixed(1), 'ns/request');
}
// prom-client's per-status child has to be found per request: cache children by status like StatusCounters does.
const children = new Map();
const phChild = ph.labels('one', 'http');
bench('hand-written (count by status + observe)', (i) => {
  sc.inc(statuses[i & 3]);
  hh.observe(0.003);
});
bench('prom-client, children cached     ', (i) => {
  const s = statuses[i & 3];
  let c = children.get(s);
  if (!c) children.set(s, (c = pc.labels('one', 'http', String(s))));
  c.inc();
  phChild.observe(0.003);
});
bench('prom-client, labels() per request', (i) => {
  pc.labels({ flow: 'one', protocol: 'http', status: statuses[i & 3] }).inc();
  ph.labels({ flow: 'one', protocol: 'http' }).observe(0.003);
});

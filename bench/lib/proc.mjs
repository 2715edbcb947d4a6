// Process helpers for the benchmark: core pinning with taskset, CPU and RSS read from
// /proc, the per-core calibration job, and polling a URL until it answers 200.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';

export const HAS_TASKSET = spawnSync('taskset', ['-V']).status === 0;
const TICKS = 100; // USER_HZ on Linux

/** [command, args] that run `cmd` on `core` when taskset exists (core undefined: anywhere). */
export function pinned(core, cmd, args) {
  return HAS_TASKSET && core !== undefined ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
}

/** Pins the current process to `core`. */
export function pinSelf(core) {
  if (HAS_TASKSET) spawnSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}

/** Children of `pid` (cluster workers), read from /proc. */
function children(pid) {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** CPU seconds used so far by `pid` and its children still running. */
export function cpuSeconds(pid) {
  let total = 0;
  for (const p of [pid, ...children(pid)]) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / TICKS;
    } catch {
      /* gone */
    }
  }
  return total;
}

/** Resident set in MB of `pid` plus its children. */
export function rssMb(pid) {
  let kb = 0;
  for (const p of [pid, ...children(pid)]) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))[1]);
    } catch {
      /* gone */
    }
  }
  return kb / 1024;
}

/** Wall seconds of a fixed shell loop on `core`: the same job on both cores should match. */
export function calibrate(core) {
  const [cmd, args] = pinned(core, 'sh', ['-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done']);
  const start = process.hrtime.bigint();
  spawnSync(cmd, args);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** One GET; resolves with the status (0 on a connection error). */
export function get(url) {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/** Polls `url` every 2 ms until it answers 200; resolves false after `limitMs`. */
export async function waitFor(url, limitMs) {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if ((await get(url)).status === 200) return true;
    await new Promise((r) => setTimeout(r, 2));
  }
  return false;
}

export const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// The load generator: wrk (1 thread, pinned) when it is installed, else autocannon in this
// process. Both report req/s, p50 and p99 in ms, and how many answers were not 2xx/3xx.
import { spawn, spawnSync } from 'node:child_process';
import { pinned } from './proc.mjs';

export const HAS_WRK = spawnSync('wrk', ['--version']).error === undefined;

const UNIT_MS = { us: 1e-3, ms: 1, s: 1000, m: 60000 };
const toMs = (text) => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
};

function runWrk(url, { seconds, connections, core }) {
  const [cmd, args] = pinned(core, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args);
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      out += c;
    });
    child.on('error', reject);
    child.on('close', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
      const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
      const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
      const bad = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
      // wrk counts a request still unanswered after 2 s as a timeout (a starved daemon).
      const socket = Number(
        /Socket errors:.*?connect (\d+), read (\d+), write (\d+), timeout (\d+)/
          .exec(out)
          ?.slice(1)
          .reduce((a, b) => a + Number(b), 0) ?? 0,
      );
      if (!Number.isFinite(rps)) reject(new Error(`wrk said: ${out}`));
      else resolve({ rps, p50, p99, bad, socket });
    });
  });
}

async function runAutocannon(url, { seconds, connections }) {
  const { default: autocannon } = await import('autocannon');
  const result = await autocannon({ url, connections, duration: seconds });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bad: result.non2xx,
    socket: result.errors + result.timeouts,
  };
}

/** Loads `url` for `seconds` with `connections`; the generator runs on `core`. */
export function load(url, options) {
  return HAS_WRK ? runWrk(url, options) : runAutocannon(url, options);
}

export const HAS_H2LOAD = spawnSync('h2load', ['--version']).error === undefined;

/**
 * gRPC load with h2load (Debian's nghttp2-client) when installed: unary calls of `body`
 * (one framed message) to `url`, `connections` × `streams` in flight, pinned to `core`.
 * h2load counts HTTP statuses only, so the caller checks a call's grpc-status itself.
 * Resolves with calls/s and the number of calls answered; undefined without h2load.
 */
export function h2load(url, bodyFile, { seconds, connections, streams, core }) {
  if (!HAS_H2LOAD) return Promise.resolve(undefined);
  const [cmd, args] = pinned(core, 'h2load', [
    `-c${connections}`,
    `-m${streams}`,
    `-D${seconds}`,
    '-d',
    bodyFile,
    '-H',
    'content-type: application/grpc',
    '-H',
    'te: trailers',
    url,
  ]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args);
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', () => {
      const rps = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(out)?.[1]);
      const m = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
      if (!Number.isFinite(rps) || !m) reject(new Error(`h2load said: ${out}`));
      else resolve({ rps, calls: Number(m[1]), failed: Number(m[2]) + Number(m[3]) });
    });
  });
}

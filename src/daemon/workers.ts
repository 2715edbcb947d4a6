/**
 * `maestro daemon --workers N`: one Node process per core, sharing the listeners' ports
 * through node:cluster (the primary accepts connections and hands them out round-robin;
 * each worker then serves its connections' requests alone, so keep-alive traffic costs the
 * primary nothing per request).
 *
 *   primary ─fork─▶ worker 1 ──ready──▶ fork workers 2…N (in parallel)
 *           ◀─exit─ worker k (unexpected) ─▶ fork a replacement
 *   SIGTERM/SIGINT ─▶ every worker (each finishes its flows and rollbacks) ─▶ primary exits
 *   SIGHUP (the returned function) ─▶ every worker reloads its configuration (#13)
 *
 * The first worker starts alone so a configuration error is printed once, by it, and the
 * primary exits with its code. Each worker has its own upstream pools and metrics.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';

/** What a worker sends the primary once its listeners are bound. */
export const READY_MESSAGE = 'maestro:ready';

// A worker that keeps dying is not restarted faster than this.
const RESTART_DELAY_MS = 1000;
// Upper bound on how long the primary waits for its workers to stop on SIGTERM.
const STOP_LIMIT_MS = 60_000;

/** `auto` → the cores this process may use; otherwise a positive integer. */
export function parseWorkers(text: string): number {
  if (text === 'auto') return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new Error(`--workers must be a positive integer or "auto", not "${text}"`);
  return n;
}

/** Whether this process is a worker forked by runPrimary. */
export function isWorker(): boolean {
  return cluster.isWorker;
}

/** Tells the primary this worker is serving (no-op outside a cluster). */
export function signalReady(): void {
  if (cluster.isWorker) process.send?.(READY_MESSAGE);
}

/**
 * Runs the primary: forks `count` workers, keeps them running, stops them on a signal.
 * Returns what a SIGHUP to the primary does: pass it on, so each worker reloads.
 */
export function runPrimary(count: number, log: (line: string) => void): () => void {
  let stopping = false;
  let first = true;
  const workers = new Set<Worker>();
  // Workers that reported ready, and those that must reload once they do: a SIGHUP before
  // a worker has its handler would end it (Node's default), and it may have read the
  // files before they changed.
  const ready = new Set<Worker>();
  const reloadWhenReady = new Set<Worker>();

  // Each worker has a slot 0…N-1 that its replacement inherits: a SQLite journal is one
  // file per slot, so a replacement runs the compensations its predecessor left open.
  const fork = (slot: number): Worker => {
    const worker = cluster.fork({ [SLOT_ENV]: String(slot) });
    workers.add(worker);
    worker.on('message', (message: unknown) => {
      if (message !== READY_MESSAGE) return;
      ready.add(worker);
      if (reloadWhenReady.delete(worker)) worker.process.kill('SIGHUP');
      if (!first) return;
      first = false;
      log(`worker ${worker.process.pid} is serving; starting ${count - 1} more`);
      for (let i = 1; i < count; i++) fork(i);
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      ready.delete(worker);
      reloadWhenReady.delete(worker);
      if (stopping) {
        if (workers.size === 0) process.exit(0);
        return;
      }
      if (first) {
        // The first worker could not start (configuration error, port taken): so would the rest.
        process.exit(code ?? 1);
      }
      log(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting a replacement`);
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, RESTART_DELAY_MS).unref();
    });
    return worker;
  };

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping ${workers.size} worker(s)`);
    for (const worker of workers) worker.process.kill(signal);
    if (workers.size === 0) process.exit(0);
    setTimeout(() => process.exit(1), STOP_LIMIT_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  fork(0);
  return () => {
    if (stopping) return;
    log(`SIGHUP: reloading ${workers.size} worker(s)`);
    for (const worker of workers) {
      if (ready.has(worker)) worker.process.kill('SIGHUP');
      else reloadWhenReady.add(worker);
    }
  };
}

/** The environment variable that tells a worker its slot. */
export const SLOT_ENV = 'MAESTRO_WORKER_SLOT';

/** This worker's slot (0 outside --workers). */
export function workerSlot(): number {
  const slot = Number(process.env[SLOT_ENV]);
  return cluster.isWorker && Number.isInteger(slot) && slot > 0 ? slot : 0;
}

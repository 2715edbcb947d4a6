/**
 * What the end-to-end tests share: real node:http upstreams on port 0 that record every
 * request they receive, the real daemon started from HCL files, and small tools that
 * prove order and concurrency without measuring time:
 *
 *   deferred()      a promise the test resolves when it decides (hold an upstream answer)
 *   barrier(n)      resolves once n callers are waiting together: n calls were in flight
 *   waitFor(check)  polls until something happened, and fails the test if it never does
 *
 * Everything started here is stopped after the test (cleanup registered at once), or
 * after the suite when started inside `shared(…)`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';

/** test/fixtures/flow, where the HCL, proto and function fixtures of the flow suites live. */
export const FLOW_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'flow');

type Cleanup = () => unknown;
/** Set while a `shared` setup runs: its cleanups belong to the suite, not to a test. */
let suiteCleanups: Cleanup[] | undefined;

/** Runs `fn` after the current test, or after the suite inside a `shared` setup. */
export function cleanup(fn: Cleanup): void {
  if (suiteCleanups) suiteCleanups.push(fn);
  else
    onTestFinished(async () => {
      await fn();
    });
}

/**
 * Runs `setup` once before the suite's tests (what it starts is stopped after the suite,
 * newest first) and returns a getter for its result.
 */
export function shared<T>(setup: () => Promise<T>): () => T {
  const cleanups: Cleanup[] = [];
  let value: T | undefined;
  beforeAll(async () => {
    suiteCleanups = cleanups;
    try {
      value = await setup();
    } finally {
      suiteCleanups = undefined;
    }
  });
  afterAll(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  return () => {
    if (value === undefined) throw new Error('shared setup has not run');
    return value;
  };
}

/** One request as an upstream received it. */
export interface Seen {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingMessage['headers'];
  /** The body as UTF-8 text, and as bytes. */
  body: string;
  raw: Buffer;
}

export interface Upstream {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Every request, in arrival order (recorded once its body has been read). */
  seen: Seen[];
  server: Server;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void | Promise<void>;

export interface UpstreamOptions {
  /** Extra setup on the server (websockets…); the returned function runs before it closes. */
  attach?: (server: Server) => (() => void) | void;
  /** Shared log: `<name> <METHOD> <url>` is pushed when a request arrives. */
  log?: string[];
  name?: string;
}

/** A node:http upstream on 127.0.0.1:0, stopped (connections included) after the test. */
export async function upstream(handler: UpstreamHandler, options: UpstreamOptions = {}): Promise<Upstream> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const entry: Seen = { method: req.method!, url: req.url!, headers: req.headers, body: raw.toString('utf8'), raw };
      seen.push(entry);
      options.log?.push(`${options.name ?? 'upstream'} ${entry.method} ${entry.url}`);
      Promise.resolve(handler(req, res, entry)).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { message: `test upstream failed: ${String(error)}` });
      });
    });
  });
  const detach = options.attach?.(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup(
    () =>
      new Promise<void>((resolve) => {
        detach?.();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** An address where nothing listens: a server is bound, then closed. */
export async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export interface RunningDaemon {
  daemon: Daemon;
  /** `http://<bound address>` of the HTTP listener. */
  base: string;
}

/**
 * The real daemon on `config` (files or globs), HTTP on 127.0.0.1:0, logs silenced;
 * closed after the test (close is idempotent, so a test may close it first).
 */
export async function daemon(
  config: string[],
  env: Record<string, string>,
  cwd = FLOW_FIXTURES,
): Promise<RunningDaemon> {
  // A rollback journal of its own (SQLite in a fresh directory): test files run in parallel.
  const journalDir = mkdtempSync(join(tmpdir(), 'maestro-journal-'));
  cleanup(() => rmSync(journalDir, { recursive: true, force: true }));
  const journal = `sqlite:${join(journalDir, 'journal.db')}`;
  const started = await startDaemon({
    config,
    env: { ...process.env, ...env },
    cwd,
    http: '127.0.0.1:0',
    logger: pino({ level: 'silent' }),
    journal,
  });
  cleanup(() => started.close());
  return { daemon: started, base: `http://${started.addresses.http!}` };
}

/** Writes `files` (name → HCL text) to a fresh directory, removed after the test. */
export function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-e2e-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  raw: Buffer;
  /** The body parsed as JSON (throws when it is not JSON). */
  json<T = Record<string, unknown>>(): T;
}

/** One request with undici; the whole answer is read. */
export async function send(url: string, options: Parameters<typeof request>[1] = {}): Promise<Answer> {
  const res = await request(url, options);
  const raw = Buffer.from(await res.body.arrayBuffer());
  const text = raw.toString('utf8');
  return { status: res.statusCode, headers: res.headers, text, raw, json: <T>() => JSON.parse(text) as T };
}

/** `send` with a JSON body. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  readonly settled: boolean;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let settled = false;
  const promise = new Promise<T>((r) => (resolve = r));
  return {
    promise,
    resolve(value: T) {
      settled = true;
      resolve(value);
    },
    get settled() {
      return settled;
    },
  };
}

export interface Barrier {
  /** Resolves true once `count` callers have arrived, false if the safety timeout passed first. */
  arrive(): Promise<boolean>;
  readonly arrived: number;
  /** Set when the safety timeout released the waiters: the test must fail. */
  readonly timedOut: boolean;
}

/**
 * Upstream handlers call `arrive()` and answer only when it resolves: if every call gets
 * an answer, all `count` calls were in flight at the same moment. A barrier that is never
 * completed releases its waiters after `timeoutMs` with `false`, so a serial caller makes
 * the test fail instead of hanging.
 */
export function barrier(count: number, timeoutMs = 5_000): Barrier {
  let arrived = 0;
  let timedOut = false;
  const all = deferred<boolean>();
  let timer: NodeJS.Timeout | undefined;
  cleanup(() => clearTimeout(timer));
  return {
    arrive() {
      arrived++;
      if (arrived === 1) {
        timer = setTimeout(() => {
          timedOut = true;
          all.resolve(false);
        }, timeoutMs);
      }
      if (arrived === count) {
        clearTimeout(timer);
        all.resolve(true);
      }
      return all.promise;
    },
    get arrived() {
      return arrived;
    },
    get timedOut() {
      return timedOut;
    },
  };
}

/** Resolves `promise`'s value, or `fallback` after `ms` (a safety net for held answers). */
export function orAfter<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * `maestro daemon --workers N` as a user runs it (the built bin, a separate process): N
 * worker processes serve the same port, a worker that dies is replaced, SIGTERM stops
 * them all, SIGHUP to the primary reloads every worker (#13), and a configuration error
 * is reported once with exit code 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../fixtures/proxy/helpers.js';
import { configDir, upstream } from './helpers.js';

const BIN = fileURLToPath(new URL('../../dist/bundle/maestro.js', import.meta.url));

const CONFIG = `
service "w" "Users" {
  transport = "http"
  codec     = "json"
  host      = "$UPSTREAM"
  method "Get" {
    options {
      endpoint = "/users/:id"
      method   = "GET"
    }
  }
}

endpoint "user" "http" {
  endpoint = "/users/:id"
  method   = "GET"
}

flow "user" {
  input {}
  resource "user" {
    request "w.Users" "Get" { id = "{{ input:id }}" }
  }
  output {
    name = "{{ user:name }}"
  }
}
`;

function children(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

async function poll<T>(read: () => T | Promise<T>, ok: (value: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function get(url: string): Promise<{ status: number; body: string }> {
  try {
    // A new connection each time, so the primary hands each to the next worker.
    const res = await request(url, { reset: true });
    return { status: res.statusCode, body: await res.body.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

function start(
  dir: string,
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'daemon', '-c', join(dir, '*.hcl'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const pid of children(child.pid!)) process.kill(pid, 'SIGKILL');
  });
  return { child, stderr: () => stderr, exited };
}

describe('--workers', () => {
  it('serves one port from N workers, replaces a dead one, and stops them all on SIGTERM', async () => {
    expect(existsSync(BIN), 'run `npm run build` first').toBe(true);
    const users = await upstream((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"Ann"}'),
    );
    const address = `127.0.0.1:${await freePort()}`;
    const { child, stderr, exited } = start(
      configDir({ 'w.hcl': CONFIG }),
      ['--workers', '2', '--http', address, '--log-level', 'warn'],
      { UPSTREAM: users.url },
    );

    const workers = await poll(
      () => children(child.pid!),
      (pids) => pids.length === 2,
    );
    expect(workers, stderr()).toHaveLength(2);
    const first = await poll(
      () => get(`http://${address}/users/1`),
      (r) => r.status === 200,
    );
    expect(first).toEqual({ status: 200, body: '{"name":"Ann"}' });
    for (let i = 0; i < 6; i++) expect((await get(`http://${address}/users/${i}`)).status).toBe(200);

    process.kill(workers[0]!, 'SIGKILL');
    const replaced = await poll(
      () => children(child.pid!),
      (pids) => pids.length === 2 && !pids.includes(workers[0]!),
    );
    expect(replaced).toHaveLength(2);
    expect(replaced).not.toContain(workers[0]);
    expect(stderr()).toContain('starting a replacement');
    for (let i = 0; i < 4; i++)
      expect(
        (
          await poll(
            () => get(`http://${address}/users/r${i}`),
            (r) => r.status === 200,
          )
        ).status,
      ).toBe(200);

    const last = children(child.pid!);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of last)
      expect(
        existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('maestro'),
      ).toBe(false);
  });

  it('gives each worker its own SQLite journal, so flows with rollbacks are served by every worker', async () => {
    const users = await upstream((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"Ann"}'),
    );
    const address = `127.0.0.1:${await freePort()}`;
    const dir = configDir({
      'w.hcl': CONFIG.replace(
        'request "w.Users" "Get" { id = "{{ input:id }}" }',
        'request "w.Users" "Get" { id = "{{ input:id }}" }\n    rollback "w.Users" "Get" { id = "{{ input:id }}" }',
      ),
    });
    const journal = join(dir, 'journal.db');
    const { child, stderr, exited } = start(
      dir,
      ['--workers', '2', '--http', address, '--log-level', 'warn', '--journal', `sqlite:${journal}`],
      { UPSTREAM: users.url },
    );
    expect(
      await poll(
        () => children(child.pid!),
        (pids) => pids.length === 2,
      ),
      stderr(),
    ).toHaveLength(2);
    await poll(
      () => get(`http://${address}/users/0`),
      (r) => r.status === 200,
    );
    // The second worker opens its own file (slot 1) when it starts (sharing the first one's
    // file, it would find it locked and answer 503 on every flow with a rollback).
    const files = await poll(
      () =>
        readdirSync(dir)
          .filter((f) => f === 'journal.db' || f === 'journal.db-w1')
          .sort(),
      (f) => f.length === 2,
    );
    expect(files, stderr()).toEqual(['journal.db', 'journal.db-w1']);
    // A new connection per request: the primary hands them to both workers in turn.
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push((await get(`http://${address}/users/${i}`)).status);
    expect(answers, stderr()).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('passes SIGHUP on: every worker reloads, the primary keeps running', async () => {
    const users = await upstream((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"Ann"}'),
    );
    const address = `127.0.0.1:${await freePort()}`;
    const dir = configDir({ 'w.hcl': CONFIG });
    const { child, stderr, exited } = start(dir, ['--workers', '2', '--http', address, '--log-level', 'warn'], {
      UPSTREAM: users.url,
    });
    const workers = await poll(
      () => children(child.pid!),
      (pids) => pids.length === 2,
    );
    expect(workers, stderr()).toHaveLength(2);
    // Both workers serve (the second starts after the first reported ready).
    await poll(
      () => Promise.all([0, 1, 2, 3].map((i) => get(`http://${address}/users/${i}`))),
      (answers) => answers.every((a) => a.status === 200),
    );

    writeFileSync(
      join(dir, 'w.hcl'),
      CONFIG.replace('name = "{{ user:name }}"', 'name = "{{ user:name }}"\n    version = "v2"'),
    );
    child.kill('SIGHUP');
    // Every new connection, whichever worker takes it, gets the reloaded flow.
    const reloaded = await poll(
      () => Promise.all([0, 1, 2, 3, 4, 5].map((i) => get(`http://${address}/users/${i}`))),
      (answers) => answers.every((a) => a.body === '{"name":"Ann","version":"v2"}'),
    );
    expect(
      reloaded.map((a) => a.body),
      stderr(),
    ).toEqual(Array(6).fill('{"name":"Ann","version":"v2"}'));
    expect(child.exitCode).toBeNull();
    expect(children(child.pid!).sort()).toEqual([...workers].sort());
    expect(stderr()).toContain('SIGHUP: reloading 2 worker(s)');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('reports a configuration error once and exits 1', async () => {
    const dir = configDir({ 'bad.hcl': 'flow "x" {\n  resource "a" {\n    request "nope.Svc" "M" {}\n  }\n}\n' });
    const { stderr, exited } = start(dir, ['--workers', '3', '--http', '127.0.0.1:0'], {});
    expect(await exited).toBe(1);
    const lines = stderr()
      .split('\n')
      .filter((line) => line.includes('bad.hcl:3'));
    expect(lines, stderr()).toHaveLength(1);
  });

  it('refuses a --workers value that is not a count', async () => {
    const { stderr, exited } = start(configDir({ 'w.hcl': CONFIG }), ['--workers', 'many'], {
      UPSTREAM: 'http://127.0.0.1:1',
    });
    expect(await exited).toBe(1);
    expect(stderr()).toContain('--workers must be a positive integer or "auto"');
  });
});

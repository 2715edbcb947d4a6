/**
 * Random mutations of the bundled example (seeded, so a failure replays): whatever a
 * mutant says, loading it never throws; when it has errors, each names an existing file
 * and a line; and when `validate` accepts it, the daemon starts on it (and is closed).
 * The property behind `maestro validate`: no configuration passes validate and then stops
 * the daemon at start.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/shop/', import.meta.url));
const SEED = Number(process.env.MAESTRO_MUTATION_SEED ?? 20261201);
const MUTANTS = Number(process.env.MAESTRO_MUTANTS ?? 80);
const env = { MAESTRO_HTTP: '127.0.0.1:0', SHOP_UPSTREAM: 'http://127.0.0.1:1' };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** mulberry32: a small seeded generator. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY = [
  '{',
  '}',
  ':',
  '/',
  '*',
  '?',
  '[',
  ']',
  '%',
  ' ',
  '"',
  '\\',
  '$',
  '@',
  '#',
  'x',
  '0',
  '9',
  '-',
  '.',
  '{{',
  '}}',
  '://',
  '\n',
];
const NAMES = [
  'methd',
  'bogus',
  'timeout = "soon"',
  'host = "ftp://nope"',
  'address = ":80}80"',
  'endpoint = "/a/*b/c"',
  'status = 9999',
];

function mutate(text: string, next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const lines = text.split('\n');
  const i = Math.floor(next() * lines.length);
  const line = lines[i]!;
  switch (pick(['char', 'delete', 'line', 'name'] as const)) {
    case 'char': {
      const at = Math.floor(next() * (line.length + 1));
      lines[i] = line.slice(0, at) + pick(TRICKY) + line.slice(at + 1);
      break;
    }
    case 'delete': {
      const at = Math.floor(next() * line.length);
      lines[i] = line.slice(0, at) + line.slice(at + 1 + Math.floor(next() * 3));
      break;
    }
    case 'line':
      lines.splice(i, 0, line);
      break;
    case 'name':
      lines.splice(i, 0, `  ${pick(NAMES)}`);
      break;
  }
  return lines.join('\n');
}

describe('validate vs daemon on mutated configurations', () => {
  it(`${MUTANTS} mutants of examples/shop (seed ${SEED})`, { timeout: 240_000 }, async () => {
    const next = random(SEED);
    const files = ['config.hcl', ...readdirSync(join(EXAMPLE, 'flows')).map((f) => `flows/${f}`)];
    let rejected = 0;
    let started = 0;
    for (let n = 0; n < MUTANTS; n++) {
      const dir = mkdtempSync(join(tmpdir(), 'maestro-mutant-'));
      dirs.push(dir);
      cpSync(EXAMPLE, dir, { recursive: true });
      const file = files[Math.floor(next() * files.length)]!;
      writeFileSync(join(dir, file), mutate(readFileSync(join(EXAMPLE, file), 'utf8'), next));
      const config = [join(dir, 'config.hcl')];
      const what = `mutant ${n} of ${file}`;

      const { plan, diagnostics } = await loadPlan({ config, env, cwd: dir });
      if (!plan) {
        rejected++;
        for (const d of diagnostics.errors) {
          expect(d.pos.file.startsWith(dir), `${what}: ${formatDiagnostic(d)}`).toBe(true);
          expect(d.pos.line, `${what}: ${formatDiagnostic(d)}`).toBeGreaterThan(0);
        }
        continue;
      }
      // validate accepted it: the daemon must start on it.
      const daemon = await startDaemon({
        config,
        env,
        cwd: dir,
        http: '127.0.0.1:0',
        grpc: '127.0.0.1:0',
        graphql: '127.0.0.1:0',
        logger: pino({ level: 'silent' }),
      }).catch((error: unknown) => {
        throw new Error(`${what} passed validate but the daemon refused it: ${(error as Error).message}`);
      });
      await daemon.close();
      started++;
    }
    // Both outcomes must occur, or the mutations test nothing.
    expect(rejected).toBeGreaterThan(0);
    expect(started).toBeGreaterThan(0);
  });
});

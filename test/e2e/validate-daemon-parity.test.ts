/**
 * `maestro validate` must report every configuration error `maestro daemon` can hit at
 * start, with file:line. Each broken file below is given to both commands, as real
 * processes: validate must exit 1 naming the line; the daemon must refuse to start
 * (exit 1, never serve), and every error it prints must be one validate printed too.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../dist/cmd/maestro.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'maestro-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A valid base: one service, one flow calling it, one HTTP endpoint. Line numbers below count from 1. */
function config(
  opts: {
    http?: string;
    service?: string;
    method?: string;
    call?: string;
    endpoint?: string;
    verb?: string;
    flow?: string;
    extra?: string;
  } = {},
): string {
  return [
    `http { ${opts.http ?? 'address = "127.0.0.1:0"'} }`, // 1
    'service "shop" "Users" {', // 2
    `  ${opts.service ?? 'host = "http://127.0.0.1:1"'}`, // 3
    '  method "Get" {', // 4
    `    options { ${opts.method ?? 'endpoint = "/users/:id"'} }`, // 5
    '  }', // 6
    '}', // 7
    `flow "user" { ${opts.flow ?? ''}`, // 8
    '  resource "u" {', // 9
    '    request "shop.Users" "Get" {', // 10
    `      ${opts.call ?? 'id = "{{ input:id }}"'}`, // 11
    '    }', // 12
    '  }', // 13
    '  output { name = "{{ u:name }}" }', // 14
    '}', // 15
    'endpoint "user" "http" {', // 16
    `  ${opts.endpoint ?? 'endpoint = "/users/:id"'}`, // 17
    `  method = "${opts.verb ?? 'GET'}"`, // 18
    '}', // 19
    opts.extra ?? '', // 20
  ].join('\n');
}

const CASES: Array<{ name: string; text: string; line: number; message: RegExp }> = [
  {
    name: 'ftp host',
    text: config({ service: 'host = "ftp://nope"' }),
    line: 3,
    message: /scheme "ftp" is not http or https/,
  },
  { name: 'malformed host URL', text: config({ service: 'host = "https:/{/example"' }), line: 3, message: /not a URL/ },
  {
    name: 'host without a valid name',
    text: config({ service: 'host = "https://{/example"' }),
    line: 3,
    message: /no valid host name/,
  },
  {
    name: 'listen address',
    text: config({ http: 'address = ":80}80"' }),
    line: 1,
    message: /invalid listen address ":80}80"/,
  },
  {
    name: 'listen host',
    text: config({ http: 'address = "no such host:80"' }),
    line: 1,
    message: /is not a host name/,
  },
  {
    name: 'grpc listen address',
    text: `${config()}\ngrpc { address = "127.0.0.1:99999" }\n`,
    line: 21,
    message: /beyond 65535/,
  },
  {
    name: 'two listeners on one port',
    text: `${config({ http: 'address = ":18931"' })}\nprometheus { address = "127.0.0.1:18931" }\n`,
    line: 21,
    message: /already uses/,
  },
  {
    name: 'prometheus listen address',
    text: `${config()}\nprometheus { address = "localhost" }\n`,
    line: 21,
    message: /invalid listen address/,
  },
  {
    name: 'missing cert file',
    text: config({ http: 'address = "127.0.0.1:0"\n cert_file = "nope.pem"\n key_file = "nope.key"' }),
    line: 2,
    message: /cannot read cert_file/,
  },
  {
    name: 'cert without key',
    text: config({ http: 'address = "127.0.0.1:0"\n cert_file = "nope.pem"' }),
    line: 2,
    message: /must be set together/,
  },
  { name: 'endpoint method', text: config({ verb: 'FETCH' }), line: 18, message: /not an HTTP method/ },
  {
    name: 'catch-all not last',
    text: config({ endpoint: 'endpoint = "/users/*rest/x"' }),
    line: 17,
    message: /must end the path/,
  },
  {
    name: 'regular expression after a parameter',
    text: config({ endpoint: 'endpoint = "/users/:id("' }),
    line: 17,
    message: /not allowed/,
  },
  {
    name: 'route parameter twice',
    text: config({ endpoint: 'endpoint = "/users/:id/:id"' }),
    line: 17,
    message: /names parameter "id" twice/,
  },
  {
    name: 'input header name',
    text: config({ flow: 'input { header = ["bad header"] }' }),
    line: 8,
    message: /not a valid header name/,
  },
  {
    name: 'method timeout',
    text: config({ method: 'endpoint = "/users/:id"\n timeout = "soon"' }),
    line: 6,
    message: /invalid timeout "soon"/,
  },
  {
    name: 'read timeout',
    text: config({ http: 'address = "127.0.0.1:0"\n read_timeout = "5 parsecs"' }),
    line: 2,
    message: /invalid duration/,
  },
  {
    name: 'body limit',
    text: config({ http: 'address = "127.0.0.1:0"\n body_limit = "lots"' }),
    line: 2,
    message: /invalid body_limit/,
  },
  {
    name: 'graphql field name',
    text: `${config()}\ngraphql { address = "127.0.0.1:0" }\nendpoint "user" "graphql" {\n  path = "user-get"\n}\n`,
    line: 22,
    message: /not a valid GraphQL name|is not a GraphQL name|GraphQL/,
  },
];

interface Run {
  code: number | null;
  stderr: string;
  /** The process was still running (serving) when the test gave up on it. */
  serving: boolean;
}

/** Runs the CLI; a daemon still running after `limitMs` is killed and reported as serving. */
function run(args: string[], limitMs = 20_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let serving = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      serving = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, serving });
    });
  });
}

/** `file:line: message` lines (the daemon may log JSON lines too: those are left out). */
function positioned(stderr: string, file: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith(`${file}:`) && !l.includes(': warning: '));
}

describe('validate reports everything the daemon refuses at start', () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_, c, i) => {
    const file = join(dir, `case-${i}.hcl`);
    writeFileSync(file, c.text);
    const [validate, daemon] = await Promise.all([
      run(['validate', '--config', file]),
      run(['daemon', '--config', file]),
    ]);

    expect(validate.code, validate.stderr).toBe(1);
    const validateErrors = positioned(validate.stderr, file);
    expect(
      validateErrors.some((l) => l.startsWith(`${file}:${c.line}: `) && c.message.test(l)),
      validate.stderr,
    ).toBe(true);

    expect(daemon.serving, 'the daemon started serving a broken configuration').toBe(false);
    expect(daemon.code, daemon.stderr).toBe(1);
    const daemonErrors = positioned(daemon.stderr, file);
    expect(daemonErrors.length, daemon.stderr).toBeGreaterThan(0);
    // Nothing the daemon stops on is missing from validate, and the daemon prints nothing unpositioned.
    for (const line of daemonErrors) expect(validateErrors).toContain(line);
    expect(
      daemon.stderr.split('\n').filter((l) => l.startsWith('maestro: ')),
      daemon.stderr,
    ).toEqual([]);
  });

  it('the base configuration is valid (so each case fails for its own reason only)', () => {
    const file = join(dir, 'base.hcl');
    writeFileSync(file, config());
    expect(execFileSync(process.execPath, [BIN, 'validate', '--config', file], { encoding: 'utf8' })).toMatch(/flow/);
  });
});

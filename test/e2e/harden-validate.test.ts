/**
 * The hardening settings (issue #8) are checked by `maestro validate`: every duration,
 * size or count that does not parse is an error at its file:line, all reported at once;
 * and with nothing configured every call still gets the 30 s timeout and the 10 MB cap.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { requireBuild } from '../fixtures/proxy/helpers.js';
import { configDir } from './helpers.js';

const CLI = fileURLToPath(new URL('../../dist/cmd/maestro.js', import.meta.url));

const BAD = `http {
  read_timeout    = "soon"
  header_timeout  = "0s"
  idle_timeout    = "x"
  max_fields      = 0
  max_array_index = "many"
  max_depth       = 1.5
  write_timeout   = "later"
}

upstream {
  timeout           = "forever"
  max_response_size = "huge"
}

service "h" "S" {
  host              = "http://127.0.0.1:1"
  timeout           = "1 minute"
  max_response_size = "10XB"
  method "M" {
    options {
      endpoint          = "/m"
      timeout           = "never"
      max_response_size = "lots"
    }
  }
}

endpoint "f" "http" {
  endpoint = "/f"
  method   = "GET"
}

flow "f" {
  resource "r" {
    request "h.S" "M" {
      options {
        timeout           = "nope"
        max_response_size = "0"
      }
    }
  }
}
`;

const GOOD = `service "h" "S" {
  host = "http://127.0.0.1:1"
  method "M" {
    options {
      endpoint = "/m"
    }
  }
}

service "h" "T" {
  host              = "http://127.0.0.1:1"
  timeout           = "2s"
  max_response_size = "1MB"
  method "M" {
    options {
      endpoint = "/m"
    }
  }
}

flow "f" {
  resource "plain" {
    request "h.S" "M" {}
  }
  resource "service" {
    request "h.T" "M" {}
  }
  resource "call" {
    request "h.T" "M" {
      options {
        timeout           = "500ms"
        max_response_size = "64KB"
      }
    }
  }
}
`;

describe('validate knows the hardening settings', () => {
  it('reports every bad duration, size and count at its file:line', () => {
    requireBuild();
    const dir = configDir({ 'bad.hcl': BAD });
    const file = join(dir, 'bad.hcl');
    const result = spawnSync(process.execPath, [CLI, 'validate', '--config', file], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    const expected: Array<[number, string]> = [
      [2, 'invalid duration "soon"'],
      [3, 'invalid header_timeout "0s"'],
      [4, 'invalid idle_timeout "x"'],
      [5, 'invalid max_fields "0"'],
      [6, 'invalid max_array_index "many"'],
      [7, 'invalid max_depth "1.5"'],
      [8, 'invalid duration "later"'],
      [12, 'invalid timeout "forever"'],
      [13, 'invalid max_response_size "huge"'],
      [18, 'invalid timeout "1 minute"'],
      [19, 'invalid max_response_size "10XB"'],
      [23, 'invalid timeout "never"'],
      [24, 'invalid max_response_size "lots"'],
      [38, 'invalid timeout "nope"'],
      [39, 'invalid max_response_size "0"'],
    ];
    for (const [line, message] of expected) expect(result.stderr).toContain(`${file}:${line}: ${message}`);
    expect(result.stderr).toContain(`validate: ${expected.length} error(s)`);
  });

  it('gives every call a timeout and an answer cap: call, else service, else 30 s and 10 MB', async () => {
    const dir = configDir({ 'good.hcl': GOOD });
    const { plan, diagnostics } = await loadPlan({ config: [join(dir, 'good.hcl')] });
    expect(diagnostics.errors).toEqual([]);
    const calls = Object.fromEntries(
      plan!.flows[0]!.nodes.map((n) => [
        n.name,
        { timeoutMs: n.call!.timeoutMs, maxResponseBytes: n.call!.maxResponseBytes },
      ]),
    );
    expect(calls).toEqual({
      plain: { timeoutMs: 30_000, maxResponseBytes: 10 * 1024 * 1024 },
      service: { timeoutMs: 2_000, maxResponseBytes: 1024 * 1024 },
      call: { timeoutMs: 500, maxResponseBytes: 64 * 1024 },
    });
  });

  it('takes the global defaults from upstream { }', async () => {
    const dir = configDir({ 'good.hcl': `upstream {\n  timeout = "5s"\n  max_response_size = "2MB"\n}\n${GOOD}` });
    const { plan } = await loadPlan({ config: [join(dir, 'good.hcl')] });
    const plain = plan!.flows[0]!.nodes.find((n) => n.name === 'plain')!.call!;
    expect({ timeoutMs: plain.timeoutMs, maxResponseBytes: plain.maxResponseBytes }).toEqual({
      timeoutMs: 5_000,
      maxResponseBytes: 2 * 1024 * 1024,
    });
  });
});

/**
 * The resilience blocks are checked by `validate` like the rest: every bad value is
 * reported at once with file:line, and a retry that cannot apply is a warning.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';
import { removeTrees, tree } from '../fixtures/config/helpers.js';

afterAll(removeTrees);

const SERVICE = `
service "s" "Api" {
  host = "http://127.0.0.1:1"
  retry {
    attempts   = 0
    backoff    = "soon"
    idempotent = true
  }
  breaker {
    failures  = 0
    cool_down = "10s"
  }
  method "Get" {
    options {
      endpoint = "/get"
      method   = "GET"
    }
  }
  method "Post" {
    options {
      endpoint = "/post"
      method   = "POST"
    }
  }
}
`;

async function check(text: string) {
  const dir = tree({ 'main.hcl': text });
  const { plan, diagnostics } = await loadPlan({ config: ['main.hcl'], cwd: dir, env: {} });
  const strip = (s: string) => s.slice(dir.length + 1);
  return {
    plan,
    errors: diagnostics.errors.map((d) => strip(formatDiagnostic(d))),
    warnings: diagnostics.warnings.map((d) => strip(formatDiagnostic(d))),
  };
}

describe('resilience blocks in validate', () => {
  it('reports every bad value with its line', async () => {
    const { errors } = await check(`${SERVICE}
journal {
  path     = "./j.db"
  postgres = "postgres://x/y"
  lease    = "forever"
}
flow_timeout = "later"

flow "f" {
  timeout = "-1s"
  resource "get" {
    request "s.Api" "Get" {
      retry {
        max_backoff = "1ms"
        backoff     = "10ms"
      }
    }
  }
}
`);
    expect(errors).toEqual([
      'main.hcl:7: idempotent belongs in the flow (a resource, request or rollback retry block), not in a service',
      'main.hcl:5: retry attempts must be between 1 and 20, got 0',
      'main.hcl:6: invalid backoff "soon"; write e.g. "100ms" or "2s"',
      'main.hcl:10: breaker failures must be 1 or more, got 0',
      'main.hcl:32: invalid flow timeout "later"; write e.g. "5s"',
      'main.hcl:39: max_backoff (1ms) is shorter than backoff',
      'main.hcl:35: invalid flow timeout "-1s"; write e.g. "5s"',
      'main.hcl:29: journal takes either path (SQLite) or postgres, not both',
      'main.hcl:30: invalid lease "forever"; write e.g. "100ms" or "2s"',
    ]);
  });

  it('reports an unknown attribute of a new block with its line and a hint', async () => {
    const { errors } = await check(`
service "s" "Api" {
  host = "http://127.0.0.1:1"
  breaker {
    failure = 3
  }
}
journal {
  pth = "x.db"
}
`);
    expect(errors).toEqual([
      'main.hcl:5: unknown attribute "failure" in breaker of service "s.Api" — did you mean "failures"?',
      'main.hcl:9: unknown attribute "pth" in journal — did you mean "path"?',
    ]);
  });

  it('warns that a POST is not retried unless the flow declares it idempotent, and compiles the policies', async () => {
    const { plan, errors, warnings } = await check(`
service "s" "Api" {
  host = "http://127.0.0.1:1"
  breaker {
    failures  = 2
    cool_down = "1s"
  }
  method "Post" {
    options {
      endpoint = "/post"
      method   = "POST"
    }
  }
}
flow "a" {
  timeout = "2s"
  resource "p" {
    retry {
      attempts = 3
    }
    request "s.Api" "Post" {}
  }
}
flow "b" {
  resource "p" {
    retry {
      attempts   = 4
      idempotent = true
    }
    request "s.Api" "Post" {}
    rollback "s.Api" "Post" {}
  }
}
`);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      expect.stringMatching(/^main\.hcl:18: warning: POST s\.Api\.Post is not retried: add idempotent = true/),
    ]);
    const [a, b] = plan!.flows;
    expect(a!.timeoutMs).toBe(2000);
    expect(a!.nodes[0]!.call!.retry).toBeUndefined();
    expect(b!.nodes[0]!.call!.retry).toEqual({ attempts: 4, backoffMs: 100, maxBackoffMs: 2000, keyed: true });
    expect(b!.nodes[0]!.rollback!.retry).toEqual({ attempts: 5, backoffMs: 200, maxBackoffMs: 5000, keyed: true });
    expect(b!.hasRollbacks).toBe(true);
    expect(plan!.services.get('s.Api')!.breaker).toEqual({ failures: 2, coolDownMs: 1000 });
  });
});

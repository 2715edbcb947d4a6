/**
 * `validate` checks every traffic-control block (issue 14) with the file:line of the
 * problem: rate_limit on endpoints and services, max_in_flight, max_wait, cache on
 * resources and methods, rate_limit_store and the cache bounds. Each case goes through
 * the same front half as `maestro validate`; one goes through the CLI itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'maestro-traffic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CLI = fileURLToPath(new URL('../../dist/cmd/maestro.js', import.meta.url));

const SERVICE = `service "shop" "Items" {
  transport = "http"
  host      = "http://127.0.0.1:9"

  method "Get" {
    options {
      endpoint = "/items/:id"
      method   = "GET"
    }
  }

  method "Put" {
    options {
      endpoint = "/items/:id"
      method   = "PUT"
    }
  }
}
`;

function flow(resourceExtra = '', flowName = 'item'): string {
  return `
flow "${flowName}" {
  input {}

  resource "item" {
    request "shop.Items" "Get" {
      params {
        id = "{{ input:id }}"
      }
    }
    ${resourceExtra}
  }

  output {
    name = "{{ item:name }}"
  }
}
`;
}

const ENDPOINT = (block: string) => `
endpoint "item" "http" {
  endpoint = "/items/:id"
  method   = "GET"

  ${block}
}
`;

let counter = 0;
/** Loads `text`; `at(marker)` is `file:line` of the first line containing marker. */
async function check(text: string) {
  const file = join(dir, `case${counter++}.hcl`);
  writeFileSync(file, text);
  const { plan, diagnostics } = await loadPlan({ config: [file], env: {} });
  const lines = text.split('\n');
  const at = (marker: string): string => {
    const index = lines.findIndex((l) => l.includes(marker));
    if (index < 0) throw new Error(`no line contains ${marker}`);
    return `${file}:${index + 1}: `;
  };
  return { plan, errors: diagnostics.errors.map(formatDiagnostic), warnings: diagnostics.warnings.map(formatDiagnostic), at, file };
}

describe('validate: traffic-control blocks', () => {
  it('accepts every block written correctly', async () => {
    const { plan, errors } = await check(`
rate_limit_store {
  redis  = "redis://127.0.0.1:6379"
  prefix = "shop:"
}

cache {
  max_entries = 500
  max_bytes   = "8MB"
}

service "shop" "Items" {
  transport     = "http"
  host          = "http://127.0.0.1:9"
  max_in_flight = 8
  max_wait      = "250ms"

  rate_limit {
    requests = 100
    every    = "1s"
  }

  method "Get" {
    options {
      endpoint = "/items/:id"
      method   = "GET"
    }

    cache {
      ttl = "10s"
    }
  }
}
${ENDPOINT(`rate_limit {
    requests = 10
    every    = "1m"
    burst    = 20
    key      = "{{ input.header:X-Api-Key }}-{{ input.remote:address }}"
  }`)}
${flow(`cache {
      ttl = "30s"
      key = "{{ input:id }}"
    }`)}`);
    expect(errors).toEqual([]);
    const endpoint = plan!.endpoints[0]!;
    expect(endpoint.rateLimit).toMatchObject({ requests: 10, everyMs: 60_000, burst: 20, keyHeaders: ['x-api-key'] });
    expect(plan!.services.get('shop.Items')!.limits).toMatchObject({ maxInFlight: 8, maxWaitMs: 250, rateLimit: { requests: 100, everyMs: 1000, burst: 100 } });
    expect(plan!.flows[0]!.nodes[0]!.cache).toMatchObject({ ttlMs: 30_000 });
    expect(plan!.traffic).toEqual({ redis: 'redis://127.0.0.1:6379', prefix: 'shop:', cacheMaxEntries: 500, cacheMaxBytes: 8 * 1024 * 1024 });
  });

  it('endpoint rate_limit: missing or invalid values and bad keys', async () => {
    const { errors, at } = await check(`${SERVICE}${flow()}
endpoint "item" "http" {
  endpoint = "/items/:id"
  method   = "GET"

  rate_limit { # http
    every = "1m"
  }
}

endpoint "item" "grpc" {
  package = "shop"
  service = "Items"
  method  = "Get"

  rate_limit {
    requests = 0
    every    = "soon"
    burst    = "many"
    key      = "{{ item:name }}"
  }
}

endpoint "item" "graphql" {
  path = "item"

  rate_limit {
    requests = 1
    key      = "{{ input.remote:port }}"
  }
}
`);
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringContaining(`${at('rate_limit { # http')}rate_limit of endpoint "item" "http" needs requests`),
      expect.stringContaining(`${at('requests = 0')}rate_limit requests of endpoint "item" "grpc" must be a whole number above 0`),
      expect.stringContaining(`${at('every    = "soon"')}rate_limit every of endpoint "item" "grpc" must be a duration`),
      expect.stringContaining(`${at('burst    = "many"')}rate_limit burst of endpoint "item" "grpc" must be a whole number`),
      expect.stringContaining(`${at('key      = "{{ item:name }}"')}unknown resource "item"`),
      expect.stringContaining(`${at('{{ input.remote:port }}')}unknown field "port" of input.remote`),
    ]));
    expect(errors).toHaveLength(6);
  });

  it('endpoint rate_limit: unknown attributes and a second block', async () => {
    const { errors, at } = await check(`${SERVICE}${flow()}
endpoint "item" "http" {
  endpoint = "/items/:id"
  method   = "GET"

  rate_limit {
    request = 5
  }

  rate_limit { # second
    requests = 1
  }
}
`);
    expect(errors).toEqual([
      `${at('request = 5')}unknown attribute "request" in rate_limit of endpoint "item" "http" — did you mean "requests"?`,
      `${at('rate_limit { # second')}duplicate rate_limit block in endpoint "item" "http"; the first is at line ${Number(at('request = 5').split(':').at(-2)) - 1}`,
    ]);
  });

  it('service limits: max_in_flight, max_wait, rate_limit without a key', async () => {
    const { errors, warnings, at } = await check(`
service "shop" "Items" {
  transport     = "http"
  host          = "http://127.0.0.1:9"
  max_in_flight = 0
  max_wait      = "later"

  rate_limit {
    requests = 5
    key      = "{{ input.header:X }}"
  }
}

service "shop" "Other" {
  host     = "http://127.0.0.1:9"
  max_wait = "1s"
}
`);
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringContaining(`${at('max_in_flight = 0')}max_in_flight of service "shop.Items" must be a whole number above 0`),
      expect.stringContaining(`${at('max_wait      = "later"')}max_wait of service "shop.Items" must be a duration`),
      expect.stringContaining(`${at('key      = "{{ input.header:X }}"')}rate_limit of service "shop.Items" takes no key`),
    ]));
    expect(warnings).toEqual([expect.stringContaining(`${at('max_wait = "1s"')}warning: max_wait of service "shop.Other" has no effect`)]);
  });

  it('cache: ttl missing or invalid, a write, a rollback, a bad key', async () => {
    const { errors, at } = await check(`${SERVICE}
flow "a" {
  input {}

  resource "item" {
    request "shop.Items" "Get" {}

    cache { # a
      key = "{{ nothing:id }}"
    }
  }
}

flow "b" {
  input {}

  resource "item" {
    request "shop.Items" "Put" {}

    cache { # put
      ttl = "30s"
    }
  }

  resource "other" {
    request "shop.Items" "Get" {}

    rollback "shop.Items" "Put" {}

    cache { # rollback
      ttl = "1s"
    }
  }

  resource "third" {
    request "shop.Items" "Get" {}

    cache {
      ttl = "-"
    }
  }
}
`);
    expect(errors).toEqual(expect.arrayContaining([
      `${at('cache { # a')}cache in resource "item" of flow "a" needs ttl = "<duration>", e.g. "30s"`,
      expect.stringContaining(`${at('key = "{{ nothing:id }}"')}unknown resource "nothing"`),
      `${at('cache { # put')}cache in resource "item" of flow "b": PUT is a write, and only reads are cached`,
      `${at('cache { # rollback')}cache in resource "other" of flow "b": a call with a rollback is a write, and only reads are cached`,
      expect.stringContaining(`${at('ttl = "-"')}cache ttl in resource "third" of flow "b" must be a duration`),
    ]));
    expect(errors).toHaveLength(5);
  });

  it('cache: unknown attributes and a second block, on a resource and on a method', async () => {
    const { errors, at } = await check(`
service "shop" "Items" {
  host = "http://127.0.0.1:9"

  method "Get" {
    cache {
      ttl  = "1s"
      size = 3
    }
  }
}

flow "a" {
  resource "item" {
    request "shop.Items" "Get" {}

    cache {
      tll = "1s"
    }

    cache { # second
      ttl = "1s"
    }
  }
}
`);
    expect(errors).toEqual([
      `${at('size = 3')}unknown attribute "size" in cache of method "Get" of service "shop.Items"`,
      `${at('tll = "1s"')}unknown attribute "tll" in cache of resource "item" of flow "a" — did you mean "ttl"?`,
      `${at('cache { # second')}duplicate cache block in resource "item" of flow "a"; the first is at line ${Number(at('tll = "1s"').split(':').at(-2)) - 1}`,
    ]);
  });

  it('rate_limit_store and the top-level cache bounds', async () => {
    const { errors, at } = await check(`
rate_limit_store {
  redis  = "http://127.0.0.1:6379"
  prefix = 5
}

cache {
  max_entries = -1
  max_bytes   = "lots"
}
`);
    expect(errors).toEqual([
      `${at('redis  = "http://')}rate_limit_store redis must be a URL such as "redis://127.0.0.1:6379"`,
      `${at('prefix = 5')}rate_limit_store prefix must be a string`,
      `${at('max_entries = -1')}cache max_entries must be a whole number above 0, got "-1"`,
      `${at('max_bytes   = "lots"')}cache max_bytes must be a size such as "64MB", got "lots"`,
    ]);
    const missing = await check('rate_limit_store {\n}\n');
    expect(missing.errors).toEqual([`${missing.at('rate_limit_store {')}rate_limit_store needs redis = "redis://host:6379"`]);
  });

  it('rate_limit_store: unknown attributes and a second block', async () => {
    const { errors, at } = await check(`
rate_limit_store {
  redis = "redis://127.0.0.1:6379"
  pool  = 3
}

rate_limit_store { # second
  redis = "redis://127.0.0.1:6379"
}
`);
    expect(errors).toEqual([
      `${at('pool  = 3')}unknown attribute "pool" in rate_limit_store`,
      `${at('rate_limit_store { # second')}duplicate rate_limit_store block at the top level; the first is at line 2`,
    ]);
  });

  it('maestro validate exits 1 and prints the position', () => {
    const file = join(dir, 'cli.hcl');
    writeFileSync(file, `${SERVICE}${flow()}${ENDPOINT('rate_limit {\n    requests = "ten"\n  }')}`);
    let stderr = '';
    let status = 0;
    try {
      execFileSync(process.execPath, [CLI, 'validate', '--config', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      ({ stderr, status } = error as { stderr: string; status: number });
    }
    expect(status).toBe(1);
    const line = `${SERVICE}${flow()}${ENDPOINT('rate_limit {\n    requests = "ten"\n  }')}`.split('\n').findIndex((l) => l.includes('requests = "ten"')) + 1;
    expect(stderr).toContain(`${file}:${line}: rate_limit requests of endpoint "item" "http" must be a whole number above 0`);
  });
});

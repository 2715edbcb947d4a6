/**
 * `validate` checks the traffic-control limits (issue 14) with the file:line of each
 * problem: rate_limit on endpoints and services, max_in_flight, max_wait; and the CLI
 * exits 1 printing the position.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, CLI, dir, ENDPOINT, flow, SERVICE } from './traffic-validate-helpers.js';

describe('validate: rate limits', () => {
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
    expect(plan!.services.get('shop.Items')!.limits).toMatchObject({
      maxInFlight: 8,
      maxWaitMs: 250,
      rateLimit: { requests: 100, everyMs: 1000, burst: 100 },
    });
    expect(plan!.flows[0]!.nodes[0]!.cache).toMatchObject({ ttlMs: 30_000 });
    expect(plan!.traffic).toEqual({
      redis: 'redis://127.0.0.1:6379',
      prefix: 'shop:',
      cacheMaxEntries: 500,
      cacheMaxBytes: 8 * 1024 * 1024,
    });
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
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`${at('rate_limit { # http')}rate_limit of endpoint "item" "http" needs requests`),
        expect.stringContaining(
          `${at('requests = 0')}rate_limit requests of endpoint "item" "grpc" must be a whole number above 0`,
        ),
        expect.stringContaining(
          `${at('every    = "soon"')}rate_limit every of endpoint "item" "grpc" must be a duration`,
        ),
        expect.stringContaining(
          `${at('burst    = "many"')}rate_limit burst of endpoint "item" "grpc" must be a whole number`,
        ),
        expect.stringContaining(`${at('key      = "{{ item:name }}"')}unknown resource "item"`),
        expect.stringContaining(`${at('{{ input.remote:port }}')}unknown field "port" of input.remote`),
      ]),
    );
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
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          `${at('max_in_flight = 0')}max_in_flight of service "shop.Items" must be a whole number above 0`,
        ),
        expect.stringContaining(`${at('max_wait      = "later"')}max_wait of service "shop.Items" must be a duration`),
        expect.stringContaining(
          `${at('key      = "{{ input.header:X }}"')}rate_limit of service "shop.Items" takes no key`,
        ),
      ]),
    );
    expect(warnings).toEqual([
      expect.stringContaining(`${at('max_wait = "1s"')}warning: max_wait of service "shop.Other" has no effect`),
    ]);
  });

  it('maestro validate exits 1 and prints the position', () => {
    const file = join(dir, 'cli.hcl');
    writeFileSync(file, `${SERVICE}${flow()}${ENDPOINT('rate_limit {\n    requests = "ten"\n  }')}`);
    let stderr = '';
    let status = 0;
    try {
      execFileSync(process.execPath, [CLI, 'validate', '--config', file], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      ({ stderr, status } = error as { stderr: string; status: number });
    }
    expect(status).toBe(1);
    const line =
      `${SERVICE}${flow()}${ENDPOINT('rate_limit {\n    requests = "ten"\n  }')}`
        .split('\n')
        .findIndex((l) => l.includes('requests = "ten"')) + 1;
    expect(stderr).toContain(
      `${file}:${line}: rate_limit requests of endpoint "item" "http" must be a whole number above 0`,
    );
  });
});

/**
 * `validate` checks the traffic-control caches and stores (issue 14) with the file:line
 * of each problem: cache on resources and methods, rate_limit_store, the cache bounds.
 */
import { describe, expect, it } from 'vitest';
import { check, SERVICE } from './traffic-validate-helpers.js';

describe('validate: caches and stores', () => {
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
    expect(errors).toEqual(
      expect.arrayContaining([
        `${at('cache { # a')}cache in resource "item" of flow "a" needs ttl = "<duration>", e.g. "30s"`,
        expect.stringContaining(`${at('key = "{{ nothing:id }}"')}unknown resource "nothing"`),
        `${at('cache { # put')}cache in resource "item" of flow "b": PUT is a write, and only reads are cached`,
        `${at('cache { # rollback')}cache in resource "other" of flow "b": a call with a rollback is a write, and only reads are cached`,
        expect.stringContaining(`${at('ttl = "-"')}cache ttl in resource "third" of flow "b" must be a duration`),
      ]),
    );
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
    expect(missing.errors).toEqual([
      `${missing.at('rate_limit_store {')}rate_limit_store needs redis = "redis://host:6379"`,
    ]);
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
});

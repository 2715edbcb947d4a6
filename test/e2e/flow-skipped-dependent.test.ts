/**
 * A run ends only when every node has: a dependent that finishes at once (skipped by its
 * `if`) must not end the run before its sibling, started right after it, has run.
 * (Found while building for_each: the flow answered without the sibling's result.)
 */
import { describe, expect, it } from 'vitest';
import { configDir, daemon, postJson, sendJson, upstream } from './helpers.js';

const HCL = `
service "t" "S" {
  transport = "http"
  host      = "$UPSTREAM"
  method "A" {
    options {
      endpoint = "/a"
      method   = "POST"
    }
  }
  method "C" {
    options {
      endpoint = "/c"
      method   = "POST"
    }
  }
}
endpoint "f" "http" {
  endpoint = "/f"
  method   = "POST"
}
flow "f" {
  input {}
  resource "a" {
    request "t.S" "A" {}
  }
  if "{{ input:never }}" {
    resource "b" {
      request "t.S" "A" {
        after = "{{ a:id }}"
      }
    }
  }
  resource "c" {
    request "t.S" "C" {
      after = "{{ a:id }}"
    }
  }
  output {
    c = "{{ c:id }}"
  }
}
`;

describe('flows: a skipped dependent', () => {
  it('does not end the run before its sibling has answered', async () => {
    const server = await upstream((_req, res, seen) => sendJson(res, 200, { id: seen.url === '/a' ? 'a-1' : 'c-1' }));
    const { base } = await daemon([`${configDir({ 'f.hcl': HCL })}/f.hcl`], { UPSTREAM: server.url });
    const answer = await postJson(`${base}/f`, {});
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ c: 'c-1' });
    expect(server.seen.map((s) => s.url)).toEqual(['/a', '/c']);
  });
});

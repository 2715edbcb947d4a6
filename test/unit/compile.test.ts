/**
 * Each compile-error kind, with the file:line it must name. Configurations are written
 * to a temporary folder and go through the same front half as `maestro validate`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'maestro-compile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROTO = `syntax = "proto3";
package shop;
import "api/annotations.proto";
service Users {
  option (semaphore.api.service) = { host: "http://127.0.0.1:9" transport: "http" codec: "json" };
  rpc Get(Query) returns (User) { option (semaphore.api.http) = { endpoint: "/users/:id" method: "GET" }; };
}
message Query { string id = 1; }
message User { int32 id = 1; string name = 2; Address address = 3; repeated string tags = 4; }
message Address { string city = 1; }
`;

const SERVICE = `
service "x" "Svc" {
  transport = "http"
  codec     = "json"
  host      = "http://127.0.0.1:9"

  method "Call" {
    options {
      endpoint = "/call"
      method   = "POST"
    }
  }
}
`;

let counter = 0;
async function check(flowText: string, extra = '') {
  const name = `case${counter++}`;
  writeFileSync(join(dir, `${name}.proto`), PROTO);
  const file = join(dir, `${name}.hcl`);
  writeFileSync(file, `protobuffers = ["./${name}.proto"]\n${SERVICE}\n${extra}\n${flowText}`);
  const result = await loadPlan({ config: [file], env: {} });
  const lines = result.diagnostics.errors.map(formatDiagnostic);
  /** Line numbers are given relative to flowText (its first line is 1). */
  const offset = 2 + SERVICE.split('\n').length - 1 + extra.split('\n').length;
  return { result, lines, file, at: (line: number) => `${file}:${line + offset}` };
}

describe('compile errors name file:line', () => {
  it('accepts a valid flow', async () => {
    const { result, lines } = await check(`
flow "ok" {
  input "shop.Query" {}
  resource "user" {
    request "shop.Users" "Get" { id = "{{ input:id }}" }
  }
  output "shop.User" {
    id   = "{{ user:id }}"
    name = "{{ upper(user:name) }}"
  }
}`);
    expect(lines).toEqual([]);
    expect(result.plan?.flows[0]?.nodes).toHaveLength(1);
  });

  it('unknown resource, with a hint', async () => {
    const { lines, at } = await check(`
flow "f" {
  input {}
  resources {
    shipping = "yes"
    status   = "{{ shiping:. }}"
  }
}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(at(6));
    expect(lines[0]).toContain('unknown resource "shiping"');
    expect(lines[0]).toContain('did you mean "shipping"');
  });

  it('unknown field in a typed reference', async () => {
    const { lines, at } = await check(`
flow "f" {
  input "shop.Query" {}
  resource "user" {
    request "shop.Users" "Get" { id = "{{ input:id }}" }
  }
  output {
    n = "{{ user:nmae }}"
  }
}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(at(8));
    expect(lines[0]).toMatch(/unknown field "nmae".*shop\.User.*did you mean "name"/);
  });

  it('unknown field in a typed request body', async () => {
    const { lines, at } = await check(`
flow "f" {
  input "shop.Query" {}
  resource "user" {
    request "shop.Users" "Get" {
      ident = "{{ input:id }}"
    }
  }
}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(at(6));
    expect(lines[0]).toContain('unknown field "ident"');
  });

  it('type mismatch against the schema', async () => {
    const { lines, at } = await check(`
flow "f" {
  input "shop.Query" {}
  resource "user" {
    request "shop.Users" "Get" { id = "{{ input:id }}" }
  }
  output "shop.User" {
    id = "{{ user:name }}"
    address = "{{ user:tags }}"
  }
}`);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(at(8));
    expect(lines[0]).toMatch(/type mismatch for field "id": expected int32, got string/);
    expect(lines[1]).toContain(at(9));
    expect(lines[1]).toMatch(/expected shop\.Address, got repeated string/);
  });

  it('self reference outside on_error', async () => {
    const { lines, at } = await check(`
flow "f" {
  input {}
  resource "a" {
    request "x.Svc" "Call" {
      v = "{{ a:v }}"
    }
    on_error {
      message = "{{ a.error:reason }}"
    }
  }
}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(at(6));
    expect(lines[0]).toContain('references itself');
  });

  it('a rollback that references a resource that may not have run', async () => {
    const { lines, at } = await check(`
flow "f" {
  input {}
  resource "a" {
    request "x.Svc" "Call" { v = "1" }
    rollback "x.Svc" "Call" {
      v = "{{ b:v }}"
      w = "{{ a:v }}"
    }
  }
  resource "b" {
    request "x.Svc" "Call" { v = "2" }
  }
}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(at(6));
    expect(lines[0]).toContain('references "b", which may not have run');
  });

  it('unknown function and wrong arity', async () => {
    const { lines, at } = await check(`
flow "f" {
  input {}
  output {
    a = "{{ uper(input:name) }}"
    b = "{{ upper(input:name, input:x) }}"
  }
}`);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(at(5));
    expect(lines[0]).toContain('unknown function "uper"');
    expect(lines[0]).toContain('did you mean "upper"');
    expect(lines[1]).toContain(at(6));
    expect(lines[1]).toContain('takes 1 argument');
  });

  it('a dependency cycle names its resources', async () => {
    const { lines, at } = await check(`
flow "loop" {
  input {}
  resource "alpha" {
    request "x.Svc" "Call" { v = "{{ beta:v }}" }
  }
  resource "beta" {
    request "x.Svc" "Call" { v = "{{ alpha:v }}" }
  }
}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(at(4));
    expect(lines[0]).toContain('dependency cycle in flow "loop": "alpha" → "beta" → "alpha"');
  });

  it('unknown service, method and message', async () => {
    const { lines, at } = await check(`
flow "f" {
  input "shop.Qery" {}
  resource "a" {
    request "shop.User" "Get" {}
  }
  resource "b" {
    request "shop.Users" "Gett" {}
  }
}`);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain(at(3));
    expect(lines[0]).toContain('unknown message "shop.Qery"');
    expect(lines[1]).toContain(at(5));
    expect(lines[1]).toContain('unknown service "shop.User"');
    expect(lines[2]).toContain(at(8));
    expect(lines[2]).toContain('has no method "Gett"');
  });

  it('an undeclared input header and error: outside error blocks', async () => {
    const { lines, at } = await check(`
flow "f" {
  input {
    header = ["Authorization"]
  }
  output {
    a = "{{ input.header:Authorization }}"
    b = "{{ input.header:Cookie }}"
    c = "{{ error:message }}"
  }
}`);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(at(8));
    expect(lines[0]).toContain('header "Cookie" is not declared');
    expect(lines[1]).toContain(at(9));
    expect(lines[1]).toContain('error is readable only in error and on_error blocks');
  });

  it('endpoints: unknown flow, duplicate route, graphql conflict; duplicate flows', async () => {
    const { lines, at } = await check(`
flow "f" {
  input {}
}
flow "f" {
  input {}
}
endpoint "g" "http" {
  endpoint = "/g"
}
endpoint "f" "http" {
  endpoint = "/f/:id"
}
endpoint "f" "http" {
  endpoint = "/f/:other"
}
endpoint "f" "graphql" {
  path = "a.b"
}
endpoint "f" "graphql" {
  path = "a.b"
}
endpoint "f" "graphql" {
  path = "a"
}`);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toContain(at(5));
    expect(lines[0]).toContain('flow "f" is already defined');
    expect(lines[1]).toContain(at(8));
    expect(lines[1]).toContain('names no flow');
    expect(lines[2]).toContain(at(14));
    expect(lines[2]).toContain('GET /f/:other');
    expect(lines[3]).toContain(at(20));
    expect(lines[3]).toContain('graphql query field "a.b"');
    expect(lines[4]).toContain(at(23));
    expect(lines[4]).toContain('conflicts with "a.b"');
  });

  it('a service without a host, and an invalid condition', async () => {
    const { lines, at } = await check(
      `
flow "f" {
  input {}
  resource "a" {
    request "y.NoHost" "Call" {}
  }
  if "{{ input:x }} >" {
    resource "b" {
      request "x.Svc" "Call" {}
    }
  }
}`,
      `service "y" "NoHost" {
  method "Call" {}
}`,
    );
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(at(5));
    expect(lines[0]).toContain('has no host');
    expect(lines[1]).toContain(at(7));
    expect(lines[1]).toContain('invalid condition');
  });
});

describe('plan shape', () => {
  it('builds edges from references, depends_on, before and if', async () => {
    const { result, lines } = await check(`
flow "f" {
  input {}
  before {
    resources {
      token = "t"
    }
  }
  resource "a" {
    request "x.Svc" "Call" {}
  }
  resource "b" {
    depends_on = ["a"]
    request "x.Svc" "Call" {}
  }
  if "{{ b:ok }}" {
    resource "c" {
      request "x.Svc" "Call" { v = "{{ input:v }}" }
    }
  }
  resource "d" {
    request "x.Svc" "Call" {}
  }
}`);
    expect(lines).toEqual([]);
    const nodes = result.plan!.flows[0]!.nodes;
    const deps = Object.fromEntries(nodes.map((n) => [n.name, n.deps.map((d) => nodes[d]!.name).sort()]));
    expect(deps).toEqual({ token: [], a: ['token'], b: ['a', 'token'], c: ['b', 'token'], d: ['token'] });
    expect(result.plan!.flows[0]!.roots.map((r) => nodes[r]!.name)).toEqual(['token']);
  });
});

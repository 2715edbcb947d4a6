/**
 * Codec names as Semaphore wrote them: `form-urlencoded`, and `request_codec` /
 * `response_codec` from a proto service option, a service block, a select and an
 * endpoint, each resolved at compile time; an unknown name is an error at its line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HttpEndpointPlan } from '../../src/compile/plan.js';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'maestro-codecs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROTO = `syntax = "proto3";
package legacy;
import "api/annotations.proto";
service Orders {
  option (semaphore.api.service) = {
    host: "http://orders.internal"
    codec: "form-urlencoded"
    request_codec: "xml"
    response_codec: "json"
  };
  rpc Get(Query) returns (Query) {
    option (semaphore.api.http) = { endpoint: "/orders", method: "GET" };
  }
}
message Query {
  string id = 1;
}
`;

describe('codec names', () => {
  it('reads request_codec and response_codec from proto options, service blocks, selects and endpoints', async () => {
    writeFileSync(join(dir, 'legacy.proto'), PROTO);
    writeFileSync(
      join(dir, 'main.hcl'),
      `protobuffers = ["./legacy.proto"]

service "legacy" "Other" {
  host           = "http://other.internal"
  response_codec = "xml"
}

services {
  select "legacy.Other" {
    request_codec = "form-urlencoded"
  }
}

endpoint "f" "http" {
  endpoint       = "/f"
  method         = "POST"
  codec          = "form-urlencoded"
  request_codec  = "json"
  response_codec = "xml"
}

flow "f" {
  output {
    a = "b"
  }
}
`,
    );
    const { plan, diagnostics } = await loadPlan({ config: [join(dir, 'main.hcl')], env: {} });
    expect(diagnostics.errors.map(formatDiagnostic)).toEqual([]);
    const orders = plan!.services.get('legacy.Orders')!;
    expect([orders.codec.name, orders.requestCodec?.name, orders.responseCodec?.name]).toEqual(['form', 'xml', 'json']);
    const other = plan!.services.get('legacy.Other')!;
    expect([other.codec.name, other.requestCodec?.name, other.responseCodec?.name]).toEqual(['json', 'form', 'xml']);
    const endpoint = plan!.endpoints[0] as HttpEndpointPlan;
    expect([endpoint.codec.name, endpoint.requestCodec?.name, endpoint.responseCodec?.name]).toEqual([
      'form',
      'json',
      'xml',
    ]);
  });

  it('names the line of an unknown codec', async () => {
    writeFileSync(
      join(dir, 'bad.hcl'),
      'endpoint "f" "http" {\n  endpoint      = "/f"\n  request_codec = "jsno"\n}\n\nflow "f" {}\n',
    );
    const { diagnostics } = await loadPlan({ config: [join(dir, 'bad.hcl')], env: {} });
    expect(diagnostics.errors.map(formatDiagnostic)).toEqual([
      `${join(dir, 'bad.hcl')}:3: unknown request_codec "jsno" for endpoint "f" — did you mean "json"?`,
    ]);
  });
});

/**
 * /metrics moves with traffic on every protocol: a known number of requests per protocol
 * and status (HTTP, gRPC, GraphQL, and a proxy, whose answers are the upstream's) must
 * show as exactly those counts; the process and runtime metrics are present.
 */
import { Client, credentials, Metadata, status as Code, type ServiceError } from '@grpc/grpc-js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { cleanup, configDir, postJson, send, sendJson, upstream } from './helpers.js';

const HCL = `
grpc {
  address = "127.0.0.1:0"
}

graphql {
  address = "127.0.0.1:0"
}

service "test" "Up" {
  transport = "http"
  codec     = "json"
  host      = "$UP"
  method "Get" {
    options {
      endpoint = "/value/:code"
      method   = "GET"
    }
  }
}

service "test" "Hub" {
  transport = "http"
  host      = "$UP"
}

endpoint "value" "http" {
  endpoint = "/value/:code"
  method   = "GET"
}

endpoint "value" "grpc" {
  package = "test"
  service = "Values"
  method  = "Get"
}

endpoint "value" "graphql" {
  path = "value"
  name = "Value"
  base = "query"
}

flow "value" {
  input {}
  resource "up" {
    request "test.Up" "Get" {
      params {
        code = "{{ default(input:code, '200') }}"
      }
    }
  }
  output {
    code = "{{ up:code }}"
  }
}

endpoint "edge" "http" {
  endpoint = "/edge/*path"
  method   = "*"
}

proxy "edge" {
  forward "test.Hub" {}
  rewrite "/edge/(?P<rest>.*)" "/<rest>" {}
}
`;

function grpcCall(address: string, path: string): Promise<number> {
  const client = new Client(address, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      new Metadata(),
      (error: ServiceError | null) => {
        client.close();
        resolve(error ? error.code : Code.OK);
      },
    );
  });
}

function line(text: string, series: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${series} `));
  return found === undefined ? undefined : Number(found.slice(series.length + 1));
}

describe('metrics per protocol', () => {
  it('counts HTTP, gRPC, GraphQL and proxy requests by status', async () => {
    const up = await upstream((req, res) => {
      const code = Number(/\/(\d{3})$/.exec(req.url!)?.[1] ?? 200);
      sendJson(res, code, { code });
    });
    const dir = configDir({ 'main.hcl': HCL });
    const daemon = await startDaemon({
      config: [`${dir}/main.hcl`],
      env: { ...process.env, UP: up.url },
      cwd: dir,
      http: '127.0.0.1:0',
      metrics: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
    });
    cleanup(() => daemon.close());
    const base = `http://${daemon.addresses.http!}`;

    for (let i = 0; i < 3; i++) expect((await send(`${base}/value/200`)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await send(`${base}/value/404`)).status).toBe(404);
    for (let i = 0; i < 4; i++) expect(await grpcCall(daemon.addresses.grpc!, '/test.Values/Get')).toBe(Code.OK);
    for (let i = 0; i < 2; i++) {
      const answer = await postJson(`http://${daemon.addresses.graphql!}/graphql`, { query: '{ value }' });
      expect(answer.json()).toEqual({ data: { value: { code: 200 } } });
    }
    for (let i = 0; i < 3; i++) expect((await send(`${base}/edge/value/201`)).status).toBe(201);
    expect((await send(`${base}/edge/value/503`)).status).toBe(503);

    const text = (await send(`http://${daemon.addresses.prometheus!}/metrics`)).text;
    expect(line(text, 'maestro_requests_total{flow="value",protocol="http",status="200"}')).toBe(3);
    expect(line(text, 'maestro_requests_total{flow="value",protocol="http",status="404"}')).toBe(2);
    expect(line(text, 'maestro_requests_total{flow="value",protocol="grpc",status="200"}')).toBe(4);
    expect(line(text, 'maestro_requests_total{flow="value",protocol="graphql",status="200"}')).toBe(2);
    expect(line(text, 'maestro_proxy_requests_total{flow="edge",status="201"}')).toBe(3);
    expect(line(text, 'maestro_proxy_requests_total{flow="edge",status="503"}')).toBe(1);
    expect(line(text, 'maestro_proxy_request_duration_seconds_count{flow="edge"}')).toBe(4);
    expect(line(text, 'maestro_upstream_calls_total{service="test.Up",method="Get",status="200"}')).toBe(9);
    expect(line(text, 'maestro_flows_in_flight{flow="value"}')).toBe(0);
    expect(line(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(line(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
  });
});

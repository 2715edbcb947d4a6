/**
 * OpenTelemetry spans with the SDK's in-memory exporter (daemon in-process): a flow of
 * three calls whose last fails gives one server span, one client span per call and a
 * rollback span, in the trace of the incoming traceparent, which every upstream call
 * carried on; and the same trace continues through a gateway → hub chain.
 */
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { spawnDaemon } from '../fixtures/proxy/helpers.js';
import { cleanup, configDir, send, sendJson, upstream, waitFor } from './helpers.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE}-00f067aa0ba902b7-01`;

const SAGA = `
service "test" "Up" {
  transport = "http"
  codec     = "json"
  host      = "$UP"
  method "A" {
    options {
      endpoint = "/a"
      method   = "POST"
    }
  }
  method "UndoA" {
    options {
      endpoint = "/undo-a"
      method   = "POST"
    }
  }
  method "B" {
    options {
      endpoint = "/b"
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

endpoint "saga" "http" {
  endpoint = "/saga"
  method   = "POST"
}

flow "saga" {
  resource "a" {
    request "test.Up" "A" {}
    rollback "test.Up" "UndoA" {}
  }
  resource "b" {
    depends_on = ["a"]
    request "test.Up" "B" {}
  }
  resource "c" {
    depends_on = ["b"]
    request "test.Up" "C" {}
  }
}
`;

const GATEWAY = `
service "test" "Hub" {
  transport = "http"
  host      = "$HUB"
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

const HUB = `
service "test" "Up" {
  transport = "http"
  codec     = "json"
  host      = "$UP"
  method "Hello" {
    options {
      endpoint = "/hello"
      method   = "GET"
    }
  }
}

endpoint "hello" "http" {
  endpoint = "/hello"
  method   = "GET"
}

flow "hello" {
  resource "up" {
    request "test.Up" "Hello" {}
  }
  output {
    greeting = "{{ up:greeting }}"
  }
}
`;

async function start(name: string, hcl: string, env: Record<string, string>, exporter: InMemorySpanExporter) {
  const dir = configDir({ [`${name}.hcl`]: hcl });
  const daemon = await startDaemon({
    config: [join(dir, `${name}.hcl`)],
    env: { ...process.env, ...env },
    cwd: dir,
    http: '127.0.0.1:0',
    logger: pino({ level: 'silent' }),
    tracing: { exporter, serviceName: name },
  });
  cleanup(() => daemon.close());
  return `http://${daemon.addresses.http!}`;
}

const traceOf = (header: string | string[] | undefined): string | undefined =>
  typeof header === 'string' ? header.split('-')[1] : undefined;

describe('tracing', () => {
  it('a failed three-call flow: one server span, a client span per call, a rollback span, one trace', async () => {
    const up = await upstream((req, res) =>
      req.url === '/c' ? sendJson(res, 500, { message: 'no' }) : sendJson(res, 200, { ok: true }),
    );
    const exporter = new InMemorySpanExporter();
    const base = await start('saga', SAGA, { UP: up.url }, exporter);

    const answer = await send(`${base}/saga`, {
      method: 'POST',
      headers: { traceparent: TRACEPARENT, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(answer.status).toBe(500);
    await waitFor(() => exporter.getFinishedSpans().length >= 5, 'five spans');

    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(5);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([TRACE]));
    const server = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect(server.map((s) => s.name)).toEqual(['http saga']);
    expect(server[0]!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(clients.map((s) => s.name).sort()).toEqual(['rollback a', 'test.Up/A', 'test.Up/B', 'test.Up/C']);
    for (const span of clients) expect(span.parentSpanContext?.spanId).toBe(server[0]!.spanContext().spanId);
    expect(clients.find((s) => s.name === 'test.Up/C')!.attributes['maestro.status']).toBe(500);

    await waitFor(() => up.seen.some((s) => s.url === '/undo-a'), 'the rollback call');
    expect(up.seen.map((s) => s.url)).toEqual(['/a', '/b', '/c', '/undo-a']);
    for (const seen of up.seen) {
      expect(traceOf(seen.headers.traceparent)).toBe(TRACE);
      // Each call's traceparent names its own client span as the parent.
      const spanId = (seen.headers.traceparent as string).split('-')[2];
      expect(clients.some((s) => s.spanContext().spanId === spanId)).toBe(true);
    }
  });

  it('continues the trace through a gateway and a hub', async () => {
    const up = await upstream((_req, res) => sendJson(res, 200, { greeting: 'hi' }));
    const exporter = new InMemorySpanExporter();
    const hub = await start('hub', HUB, { UP: up.url }, exporter);
    const gateway = await start('gateway', GATEWAY, { HUB: hub }, exporter);

    const answer = await send(`${gateway}/edge/hello`, { headers: { traceparent: TRACEPARENT } });
    expect(answer.json()).toEqual({ greeting: 'hi' });
    await waitFor(() => exporter.getFinishedSpans().length >= 3, 'three spans');

    const spans: ReadableSpan[] = exporter.getFinishedSpans();
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([TRACE]));
    const edge = spans.find((s) => s.name === 'http edge')!;
    const hello = spans.find((s) => s.name === 'http hello')!;
    expect(edge.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(hello.parentSpanContext?.spanId).toBe(edge.spanContext().spanId);
    const call = spans.find((s) => s.name === 'test.Up/Hello')!;
    expect(call.parentSpanContext?.spanId).toBe(hello.spanContext().spanId);
    expect(traceOf(up.seen[0]!.headers.traceparent)).toBe(TRACE);
  });

  it("exports over OTLP to the telemetry block's collector, and writes the trace id in the log lines (daemon process)", async () => {
    const up = await upstream((_req, res) => sendJson(res, 200, { greeting: 'hi' }));
    const collector = await upstream((_req, res) => sendJson(res, 200, {}));
    const dir = configDir({ 'hub.hcl': `telemetry {\n  otlp = "$COLLECTOR"\n}\n${HUB}` });
    const daemon = await spawnDaemon(join(dir, 'hub.hcl'), { UP: up.url, COLLECTOR: collector.url }, [
      '--log-level',
      'debug',
    ]);
    cleanup(() => daemon.stop());

    const answer = await send(`http://${daemon.address}/hello`, {
      headers: { traceparent: TRACEPARENT, 'x-request-id': 'traced-1' },
    });
    expect(answer.json()).toEqual({ greeting: 'hi' });
    expect(await daemon.waitForLog((l) => l.msg === 'request completed' && l.requestId === 'traced-1')).toMatchObject({
      traceId: TRACE,
    });
    expect(await daemon.waitForLog((l) => l.msg === 'upstream call' && l.requestId === 'traced-1')).toMatchObject({
      traceId: TRACE,
    });

    // Spans are batched: the last ones are exported when the daemon stops.
    expect(await daemon.stop()).toBe(0);
    const exported = collector.seen.filter((s) => s.method === 'POST' && s.url === '/v1/traces');
    expect(exported.length).toBeGreaterThan(0);
    const text = exported.map((s) => s.body).join('\n');
    expect(text).toContain(TRACE);
    expect(text).toContain('test.Up/Hello');
  });

  it('continues a trace from gRPC metadata', async () => {
    const up = await upstream((_req, res) => sendJson(res, 200, { greeting: 'hi' }));
    const exporter = new InMemorySpanExporter();
    const grpcEndpoint =
      'grpc {\n  address = "127.0.0.1:0"\n}\n\nendpoint "hello" "grpc" {\n  package = "test"\n  service = "Greeter"\n  method  = "Hello"\n}\n';
    const dir = configDir({ 'hub.hcl': grpcEndpoint + HUB });
    const daemon = await startDaemon({
      config: [join(dir, 'hub.hcl')],
      env: { ...process.env, UP: up.url },
      cwd: dir,
      http: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
      tracing: { exporter },
    });
    cleanup(() => daemon.close());
    const client = new Client(daemon.addresses.grpc!, credentials.createInsecure());
    cleanup(() => client.close());
    const metadata = new Metadata();
    metadata.set('traceparent', TRACEPARENT);
    const error = await new Promise<ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        '/test.Greeter/Hello',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        metadata,
        (e: ServiceError | null) => resolve(e),
      );
    });
    expect(error).toBeNull();
    await waitFor(() => exporter.getFinishedSpans().length >= 2, 'two spans');
    const server = exporter.getFinishedSpans().find((s) => s.name === 'grpc hello')!;
    expect(server.spanContext().traceId).toBe(TRACE);
    expect(server.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(traceOf(up.seen[0]!.headers.traceparent)).toBe(TRACE);
  });
});

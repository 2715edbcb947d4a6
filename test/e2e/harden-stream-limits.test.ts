/**
 * The decoder limits of `http { }` (issue #8) hold on a stream flow's HTTP endpoint too
 * (Server-Sent Events, #15): a body over `max_fields` is 413 naming the limit, a nesting
 * over `max_depth` 400, and the stream's upstream is never called.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { loadProto, serviceConstructor, startGrpcServer } from '../fixtures/grpc/helpers.js';
import { cleanup, configDir, daemon, send } from './helpers.js';

const PROTO = join(import.meta.dirname, '../fixtures/stream/ticks.proto');

const CONFIG = `
protobuffers = ["${PROTO}"]

http {
  max_fields = 10
  max_depth  = 4
}

service "ticks" "Ticker" {
  transport = "grpc"
  host      = "$TICKER"
}

endpoint "watch" "http" {
  endpoint = "/watch"
  method   = "POST"
}

endpoint "watch" "http" {
  endpoint = "/watch-form"
  method   = "POST"
  codec    = "form"
}

flow "watch" {
  input "ticks.TickRequest" {}

  resource "ticks" {
    request "ticks.Ticker" "Watch" {
      topic = "{{ input:topic }}"
      count = "{{ input:count }}"
    }
  }

  output "ticks.Tick" {
    seq   = "{{ ticks:seq }}"
    topic = "{{ ticks:topic }}"
  }
}
`;

async function start() {
  let calls = 0;
  const proto = loadProto(PROTO);
  const running = await startGrpcServer((server) => {
    server.addService(serviceConstructor(proto, 'ticks.Ticker').service, {
      Watch: (call: grpc.ServerWritableStream<{ topic: string; count: number }, unknown>) => {
        calls++;
        for (let seq = 1; seq <= call.request.count; seq++) call.write({ seq, topic: call.request.topic });
        call.end();
      },
    });
  });
  cleanup(() => running.close());
  const dir = configDir({ 'flows.hcl': CONFIG });
  const { base } = await daemon([join(dir, 'flows.hcl')], { TICKER: running.address });
  return { base, calls: () => calls };
}

describe('decoder limits on a stream endpoint', () => {
  it('answers a form over max_fields with 413 and deep JSON with 400, naming the limit, without opening the stream', async () => {
    const { base, calls } = await start();
    const form = Array.from({ length: 11 }, (_, i) => `k${i}=1`).join('&');
    const res = await send(`${base}/watch-form`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(res.status).toBe(413);
    // The endpoint's codec is form: so is its error body.
    const error = new URLSearchParams(res.text);
    expect(error.get('status')).toBe('413');
    expect(error.get('message')).toContain('max_fields = 10');

    const deep = await send(`${base}/watch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"topic":${'['.repeat(6)}${']'.repeat(6)}}`,
    });
    expect(deep.status).toBe(400);
    expect(deep.json()).toEqual({ status: 400, message: expect.stringContaining('max_depth = 4') });
    expect(calls()).toBe(0);

    // Within the limits the stream flows as before.
    const ok = await send(`${base}/watch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"topic":"t","count":2}',
    });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('"seq":2');
    expect(calls()).toBe(1);
  });
});

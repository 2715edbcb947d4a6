/**
 * Prometheus metrics end to end: the real daemon with a real upstream. One order
 * succeeds, two fail at the charge (one rollback then succeeds, one fails), one body does
 * not decode; then GET /metrics, on the prometheus listener and on the HTTP listener,
 * must show each of them counted exactly once.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { cleanup, configDir, postJson, send, sendJson, upstream, waitFor } from './helpers.js';

const HCL = `
service "shop" "Store" {
  transport = "http"
  codec     = "json"
  host      = "$UPSTREAM_STORE"

  method "Hold" {
    options {
      endpoint = "/holds"
      method   = "POST"
    }
  }

  method "Unhold" {
    options {
      endpoint = "/holds/undo"
      method   = "POST"
    }
  }

  method "Charge" {
    options {
      endpoint = "/charges"
      method   = "POST"
    }
  }
}

endpoint "order" "http" {
  endpoint = "/orders"
  method   = "POST"
}

flow "order" {
  input {}

  resource "hold" {
    request "shop.Store" "Hold" {
      order = "{{ input:order }}"
    }

    rollback "shop.Store" "Unhold" {
      hold = "{{ hold:id }}"
    }
  }

  resource "charge" {
    request "shop.Store" "Charge" {
      hold = "{{ hold:id }}"
    }
  }

  output {
    charge = "{{ charge:id }}"
  }
}
`;

/** Holds are named after the order; the charge of order "ok" passes, others are declined; the hold of "stuck" cannot be undone. */
async function startStore() {
  return upstream((_req, res, seen) => {
    const body = seen.body === '' ? {} : (JSON.parse(seen.body) as Record<string, string>);
    switch (seen.url) {
      case '/holds':
        return sendJson(res, 200, { id: `h-${body.order}` });
      case '/charges':
        return body.hold === 'h-ok' ? sendJson(res, 200, { id: 'c-1' }) : sendJson(res, 402, { message: 'declined' });
      case '/holds/undo':
        return body.hold === 'h-stuck' ? sendJson(res, 500, { message: 'cannot undo' }) : sendJson(res, 200, {});
      default:
        return sendJson(res, 404, { message: 'no route' });
    }
  });
}

describe('metrics', () => {
  it('counts requests, upstream calls, rollbacks and errors, served on both listeners', async () => {
    const store = await startStore();
    const dir = configDir({ 'shop.hcl': HCL });
    const daemon = await startDaemon({
      config: [`${dir}/*.hcl`],
      env: { ...process.env, UPSTREAM_STORE: store.url },
      cwd: dir,
      http: '127.0.0.1:0',
      metrics: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
    });
    cleanup(() => daemon.close());
    const base = `http://${daemon.addresses.http!}`;

    expect((await postJson(`${base}/orders`, { order: 'ok' })).status).toBe(200);
    expect((await postJson(`${base}/orders`, { order: 'late' })).status).toBe(402);
    expect((await postJson(`${base}/orders`, { order: 'stuck' })).status).toBe(402);
    expect((await postJson(`${base}/orders`, '{not json')).status).toBe(400);

    const scrape = async (url: string) => {
      const answer = await send(url);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      return answer.text;
    };
    const prometheus = `http://${daemon.addresses.prometheus!}/metrics`;
    // Rollbacks run after the client's answer: wait until both have been counted.
    await waitFor(
      async () => (await scrape(prometheus)).includes('outcome="failed"} 1'),
      'the failed rollback to be counted',
    );
    await waitFor(async () => (await scrape(prometheus)).includes('outcome="ok"} 1'), 'the rollback to be counted');

    const text = await scrape(prometheus);
    const lines = text.split('\n');
    for (const line of [
      '# TYPE maestro_requests_total counter',
      'maestro_requests_total{flow="order",protocol="http",status="200"} 1',
      'maestro_requests_total{flow="order",protocol="http",status="402"} 2',
      'maestro_requests_total{flow="order",protocol="http",status="400"} 1',
      '# TYPE maestro_request_duration_seconds histogram',
      'maestro_request_duration_seconds_count{flow="order",protocol="http"} 4',
      'maestro_request_duration_seconds_bucket{flow="order",protocol="http",le="+Inf"} 4',
      'maestro_upstream_calls_total{service="shop.Store",method="Hold",status="200"} 3',
      'maestro_upstream_calls_total{service="shop.Store",method="Charge",status="200"} 1',
      'maestro_upstream_calls_total{service="shop.Store",method="Charge",status="402"} 2',
      'maestro_upstream_calls_total{service="shop.Store",method="Unhold",status="200"} 1',
      'maestro_upstream_calls_total{service="shop.Store",method="Unhold",status="500"} 1',
      'maestro_upstream_call_duration_seconds_count{service="shop.Store",method="Hold"} 3',
      'maestro_upstream_call_duration_seconds_count{service="shop.Store",method="Charge"} 3',
      'maestro_upstream_call_duration_seconds_count{service="shop.Store",method="Unhold"} 2',
      'maestro_rollbacks_total{flow="order",resource="hold",outcome="ok"} 1',
      'maestro_rollbacks_total{flow="order",resource="hold",outcome="failed"} 1',
      'maestro_flow_errors_total{flow="order",status="402"} 2',
      'maestro_flow_errors_total{flow="order",status="400"} 1',
    ])
      expect(lines).toContain(line);
    expect(lines.filter((l) => l.startsWith('maestro_flow_errors_total{'))).toHaveLength(2);
    expect(text.endsWith('\n')).toBe(true);

    // The same registry on the HTTP listener, beside /healthz.
    const viaHttp = (await scrape(`${base}/metrics`)).split('\n');
    expect(viaHttp).toContain('maestro_requests_total{flow="order",protocol="http",status="200"} 1');
    expect((await send(`http://${daemon.addresses.prometheus!}/other`)).status).toBe(404);
  });

  it('takes the prometheus listener from the files, and leaves /metrics to an endpoint that has it', async () => {
    const store = await startStore();
    const hcl = `${HCL.replaceAll('/orders', '/metrics')}\nprometheus {\n  address = "127.0.0.1:0"\n}\n`;
    const dir = configDir({ 'shop.hcl': hcl });
    const daemon = await startDaemon({
      config: [`${dir}/*.hcl`],
      env: { ...process.env, UPSTREAM_STORE: store.url },
      cwd: dir,
      http: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
    });
    cleanup(() => daemon.close());
    expect((await postJson(`http://${daemon.addresses.http!}/metrics`, { order: 'ok' })).json()).toEqual({
      charge: 'c-1',
    });
    const text = (await send(`http://${daemon.addresses.prometheus!}/metrics`)).text;
    expect(text.split('\n')).toContain('maestro_requests_total{flow="order",protocol="http",status="200"} 1');
  });
});

/**
 * Logs of the daemon process at debug level: one `request completed` line per request
 * for every protocol (flow, protocol, status, duration, request id), upstream calls and
 * rollbacks at debug, and credentials nowhere: Authorization, Cookie, Set-Cookie,
 * Proxy-Authorization and the names of `log { redact }` are sent to a failing flow, a
 * proxy and a gRPC endpoint, and no log line nor error body contains them.
 */
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, spawnDaemon } from '../fixtures/proxy/helpers.js';
import { cleanup, configDir, send, sendJson, upstream } from './helpers.js';

const HCL = `
log {
  redact = ["X-Api-Key"]
}

service "test" "Up" {
  transport = "http"
  codec     = "json"
  host      = "$UP"
  method "Reserve" {
    options {
      endpoint = "/reserve"
      method   = "POST"
    }
  }
  method "Release" {
    options {
      endpoint = "/release"
      method   = "POST"
    }
  }
  method "Pay" {
    options {
      endpoint = "/pay"
      method   = "POST"
    }
  }
}

service "test" "Hub" {
  transport = "http"
  host      = "$UP"
}

endpoint "order" "http" {
  endpoint = "/order"
  method   = "POST"
}

endpoint "order" "grpc" {
  package = "test"
  service = "Orders"
  method  = "Place"
}

flow "order" {
  input {
    header = ["Authorization", "Cookie", "X-Api-Key", "Proxy-Authorization"]
  }
  resource "reserve" {
    request "test.Up" "Reserve" {
      header {
        Authorization = "{{ input.header:Authorization }}"
        Cookie        = "{{ input.header:Cookie }}"
        X-Api-Key     = "{{ input.header:X-Api-Key }}"
      }
    }
    rollback "test.Up" "Release" {
      header {
        Authorization = "{{ input.header:Authorization }}"
      }
    }
  }
  resource "pay" {
    depends_on = ["reserve"]
    request "test.Up" "Pay" {
      header {
        Authorization = "{{ input.header:Authorization }}"
      }
    }
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

const SECRETS: Record<string, string> = {
  authorization: 'Bearer s3cr3t-authorization',
  cookie: 'session=s3cr3t-cookie',
  'proxy-authorization': 'Basic s3cr3t-proxy',
  'x-api-key': 's3cr3t-api-key',
};

describe('logs (daemon process)', () => {
  it('writes one line per request per protocol and never a credential', async () => {
    const up = await upstream((req, res) => {
      const headers = { 'set-cookie': 'token=s3cr3t-set-cookie' };
      if (req.url === '/pay' || req.url === '/broken') return sendJson(res, 500, { message: 'card declined' }, headers);
      sendJson(res, 200, { ok: true }, headers);
    });
    const dir = configDir({ 'main.hcl': HCL });
    const grpcAddress = `127.0.0.1:${await freePort()}`;
    const daemon = await spawnDaemon(join(dir, 'main.hcl'), { UP: up.url }, [
      '--grpc',
      grpcAddress,
      '--log-level',
      'debug',
    ]);
    cleanup(() => daemon.stop());
    const base = `http://${daemon.address}`;

    const failed = await send(`${base}/order`, {
      method: 'POST',
      headers: { ...SECRETS, 'x-request-id': 'http-1', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(failed.status).toBe(500);
    const proxied = await send(`${base}/edge/broken`, { headers: { ...SECRETS, 'x-request-id': 'proxy-1' } });
    expect(proxied.status).toBe(500);
    const client = new Client(grpcAddress, credentials.createInsecure());
    cleanup(() => client.close());
    const metadata = new Metadata();
    for (const [name, value] of Object.entries(SECRETS)) metadata.set(name, value);
    metadata.set('x-request-id', 'grpc-1');
    const code = await new Promise<number>((resolve) => {
      client.makeUnaryRequest(
        '/test.Orders/Place',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        metadata,
        (error: ServiceError | null) => resolve(error?.code ?? 0),
      );
    });
    expect(code).not.toBe(0);

    // The credentials did travel (so they could have leaked).
    expect(up.seen.find((s) => s.url === '/reserve')?.headers.authorization).toBe(SECRETS.authorization);
    expect(up.seen.find((s) => s.url === '/broken')?.headers.cookie).toBe(SECRETS.cookie);

    // Rollbacks of both failed orders have run (debug lines), then the request lines are all in.
    const completed = (id: string) => daemon.waitForLog((l) => l.msg === 'request completed' && l.requestId === id);
    expect(await completed('http-1')).toMatchObject({ level: 30, flow: 'order', protocol: 'http', status: 500 });
    expect(await completed('proxy-1')).toMatchObject({ level: 30, flow: 'edge', protocol: 'proxy', status: 500 });
    expect(await completed('grpc-1')).toMatchObject({ level: 30, flow: 'order', protocol: 'grpc', status: 500 });
    for (const id of ['http-1', 'grpc-1']) {
      await daemon.waitForLog((l) => l.msg === 'rollback done' && l.requestId === id);
      expect(daemon.logs.find((l) => l.msg === 'upstream call' && l.requestId === id)).toMatchObject({
        level: 20,
        service: 'test.Up',
      });
    }
    for (const l of daemon.logs.filter((l) => l.msg === 'request completed')) expect(typeof l.ms).toBe('number');

    expect(await daemon.stop()).toBe(0);
    const leaked = daemon.logs.map((l) => JSON.stringify(l)).filter((text) => text.includes('s3cr3t'));
    expect(leaked).toEqual([]);
    for (const body of [failed.text, proxied.text]) expect(body).not.toContain('s3cr3t');
  });
});

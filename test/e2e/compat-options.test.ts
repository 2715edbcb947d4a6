/**
 * Call options Semaphore accepted (issue #12): `insecure` and `ca_file` against a real TLS
 * upstream whose self-signed certificate is made here with openssl; `keep_alive` accepted;
 * what Maestro cannot honour (`max_idle_conns`, `flush_interval`, endpoint
 * `read_timeout`/`write_timeout`) is a warning naming file:line, never silently dropped.
 */
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';
import { cleanup, configDir, daemon, send, shared } from './helpers.js';
import { selfSignedCertificate, type SelfSigned } from '../fixtures/tls/certificate.js';

function config(options: string): string {
  return `
service "tls" "Secure" {
  transport = "http"
  host      = "$UPSTREAM"

  method "Get" {
    options {
      endpoint = "/hello"
      method   = "GET"
${options}
    }
  }
}

endpoint "hello" "http" {
  endpoint = "/hello"
  method   = "GET"
}

flow "hello" {
  resource "hello" {
    request "tls.Secure" "Get" {}
  }

  output {
    greeting = "{{ hello:greeting }}"
  }
}
`;
}

describe('call options: TLS against a self-signed upstream', () => {
  let tls: SelfSigned;
  let url: string;

  shared(async () => {
    tls = selfSignedCertificate(configDir({}));
    const server = createServer({ cert: tls.cert, key: tls.key }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"greeting":"hello over TLS"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return true;
  });

  async function hello(options: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const dir = configDir({ 'tls.hcl': config(options), 'ca.pem': tls.cert.toString('utf8') });
    const { base } = await daemon([join(dir, 'tls.hcl')], { UPSTREAM: url });
    const res = await send(`${base}/hello`);
    return { status: res.status, body: res.json() };
  }

  it('refuses an unknown certificate by default', async () => {
    expect((await hello('')).status).toBe(502);
  });

  it('trusts the certificate named by ca_file (relative to the file)', async () => {
    expect(await hello('ca_file = "./ca.pem"')).toEqual({ status: 200, body: { greeting: 'hello over TLS' } });
  });

  it('a proxy forward trusts the ca_file of its service', async () => {
    const hcl =
      'service "hub" "Hub" {\n  host = "$UPSTREAM"\n\n  options {\n    ca_file = "./ca.pem"\n  }\n}\n\n' +
      'endpoint "gw" "http" {\n  endpoint = "/*path"\n  method   = "*"\n}\n\nproxy "gw" {\n  forward "hub.Hub" {}\n}\n';
    const dir = configDir({ 'proxy.hcl': hcl, 'ca.pem': tls.cert.toString('utf8') });
    const { base } = await daemon([join(dir, 'proxy.hcl')], { UPSTREAM: url });
    const res = await send(`${base}/anything`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ greeting: 'hello over TLS' });
  });

  it('skips verification with insecure = true', async () => {
    expect(await hello('insecure = true\nkeep_alive = "30s"')).toEqual({
      status: 200,
      body: { greeting: 'hello over TLS' },
    });
  });
});

describe('call options: what is not honoured is warned about', () => {
  it('names file:line for max_idle_conns, flush_interval and endpoint timeouts', async () => {
    const dir = configDir({
      'opts.hcl': `${config('max_idle_conns = 10\nflush_interval = "1s"')}
endpoint "hello" "http" {
  endpoint      = "/again"
  method        = "GET"
  read_timeout  = "5s"
  write_timeout = "5s"
}
`,
    });
    const file = join(dir, 'opts.hcl');
    const { diagnostics } = await loadPlan({ config: [file], env: { UPSTREAM: 'http://127.0.0.1:1' } });
    expect(diagnostics.errors.map(formatDiagnostic)).toEqual([]);
    const warnings = diagnostics.warnings.map(formatDiagnostic);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${file}:10: warning: max_idle_conns`)),
        expect.stringMatching(new RegExp(`^${file}:11: warning: flush_interval`)),
        expect.stringMatching(new RegExp(`^${file}:\\d+: warning: read_timeout on an endpoint`)),
        expect.stringMatching(new RegExp(`^${file}:\\d+: warning: write_timeout on an endpoint`)),
      ]),
    );
  });

  it('names file:line for follow_redirects on a service a proxy forwards to (the client follows)', async () => {
    const hcl =
      'service "hub" "Hub" {\n  host = "https://127.0.0.1:1"\n\n  options {\n    follow_redirects = false\n  }\n}\n\n' +
      'endpoint "gw" "http" {\n  endpoint = "/*path"\n  method   = "*"\n}\n\nproxy "gw" {\n  forward "hub.Hub" {}\n}\n';
    const dir = configDir({ 'proxy.hcl': hcl });
    const file = join(dir, 'proxy.hcl');
    const { diagnostics } = await loadPlan({ config: [file], env: {} });
    expect(diagnostics.warnings.map(formatDiagnostic)).toContain(
      `${file}:5: warning: follow_redirects applies to calls of "hub.Hub"; the forward of proxy "gw" passes redirects to its client`,
    );
  });

  it('rejects a ca_file that does not exist, with file:line', async () => {
    const dir = configDir({ 'ca.hcl': config('ca_file = "./nowhere.pem"') });
    const file = join(dir, 'ca.hcl');
    const { diagnostics } = await loadPlan({ config: [file], env: { UPSTREAM: 'https://127.0.0.1:1' } });
    expect(diagnostics.errors.map(formatDiagnostic)).toEqual([
      `${file}:10: ca_file "./nowhere.pem" does not exist or is not a readable file`,
    ]);
  });
});

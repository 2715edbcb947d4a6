/**
 * `grpc { }` settings of the node:http2 listener: TLS (cert_file, key_file), the message
 * bound (max_message_size), the idle timeout of connections and the read timeout of a
 * request message; validate reports bad values with their position.
 */
import { once } from 'node:events';
import { connect } from 'node:http2';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';
import { loadProto, serviceConstructor } from '../fixtures/grpc/helpers.js';
import { framed, hcl, PROTO, statusOf, type Raw } from '../fixtures/grpc/listener.js';
import { selfSignedCertificate } from '../fixtures/tls/certificate.js';
import { cleanup, configDir, sendJson, upstream, waitFor } from './helpers.js';

type EchoClient = grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>;

/** A daemon on `grpc { … }`; "hold" is never answered by its upstream. */
async function start(block: string, files: Record<string, string> = {}) {
  const slow = await upstream((_req, res, seen) => {
    const text = seen.url.split('/').pop()!;
    if (text !== 'hold') sendJson(res, 200, { text });
  });
  const dir = configDir({ 'main.hcl': hcl(block), 'lt.proto': PROTO, ...files });
  const daemon = await startDaemon({
    config: [join(dir, 'main.hcl')],
    env: { ...process.env, SLOW: slow.url },
    cwd: dir,
    logger: pino({ level: 'silent' }),
    journal: 'memory',
  });
  cleanup(() => daemon.close());
  return { daemon, dir, slow, pkg: loadProto(join(dir, 'lt.proto')) };
}

function call(client: EchoClient, method: string, request: unknown) {
  return new Promise<{ error: grpc.ServiceError | null; response?: Record<string, unknown> }>((resolve) =>
    client[method]!(request, (error: grpc.ServiceError | null, response?: Record<string, unknown>) =>
      resolve({ error, response }),
    ),
  );
}

describe('grpc { } settings', () => {
  it('serves over TLS with cert_file and key_file', async () => {
    const { cert, certFile, keyFile } = selfSignedCertificate(configDir({}));
    const block = `grpc {\n  address   = "127.0.0.1:0"\n  cert_file = "${certFile}"\n  key_file  = "${keyFile}"\n}`;
    const { daemon, pkg } = await start(block);
    const Echo = serviceConstructor(pkg, 'lt.Echo');
    const secure = new Echo(daemon.addresses.grpc!, grpc.credentials.createSsl(cert)) as unknown as EchoClient;
    cleanup(() => secure.close());
    expect(await call(secure, 'Say', { text: 'tls' })).toEqual({ error: null, response: { text: 'tls' } });
    // A plaintext client gets nowhere.
    const plain = new Echo(daemon.addresses.grpc!, grpc.credentials.createInsecure()) as unknown as EchoClient;
    cleanup(() => plain.close());
    expect((await call(plain, 'Say', { text: 'plain' })).error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('bounds messages at max_message_size, naming the limit', async () => {
    const { daemon, pkg } = await start('grpc {\n  address          = "127.0.0.1:0"\n  max_message_size = "1KB"\n}');
    const Echo = serviceConstructor(pkg, 'lt.Echo');
    const client = new Echo(daemon.addresses.grpc!, grpc.credentials.createInsecure()) as unknown as EchoClient;
    cleanup(() => client.close());
    expect((await call(client, 'Say', { text: 'x'.repeat(900) })).error).toBeNull();
    const refused = await call(client, 'Say', { text: 'x'.repeat(1100) });
    expect(refused.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused.error?.details).toContain('limit of 1024 bytes');
  });

  it('closes a connection idle for idle_timeout, never one with a call in flight', async () => {
    const { daemon, slow } = await start('grpc {\n  address      = "127.0.0.1:0"\n  idle_timeout = "300ms"\n}');
    const idle = connect(`http://${daemon.addresses.grpc!}`);
    idle.on('error', () => undefined);
    cleanup(() => idle.destroy());
    await once(idle, 'goaway');

    const busy = connect(`http://${daemon.addresses.grpc!}`);
    busy.on('error', () => undefined);
    cleanup(() => busy.destroy());
    let goaway = false;
    busy.on('goaway', () => (goaway = true));
    const before = slow.seen.length;
    const stream = busy.request({
      ':method': 'POST',
      ':path': '/lt.Echo/Slow',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.on('error', () => undefined);
    stream.end(framed(Buffer.from([0x0a, 0x04, 0x68, 0x6f, 0x6c, 0x64]))); // Msg { text: "hold" }
    await waitFor(() => slow.seen.length === before + 1, 'the upstream to hold the call');
    // A connection opened after the call started: once it has been closed as idle, the
    // busy one has been quiet at least as long, and must still be open.
    const later = connect(`http://${daemon.addresses.grpc!}`);
    later.on('error', () => undefined);
    cleanup(() => later.destroy());
    await once(later, 'goaway');
    expect(goaway).toBe(false);
    expect(stream.closed).toBe(false);
  });

  it('answers DEADLINE_EXCEEDED when the request message does not arrive within read_timeout', async () => {
    const { daemon, slow } = await start('grpc {\n  address      = "127.0.0.1:0"\n  read_timeout = "300ms"\n}');
    const session = connect(`http://${daemon.addresses.grpc!}`);
    session.on('error', () => undefined);
    cleanup(() => session.destroy());
    const stream = session.request({
      ':method': 'POST',
      ':path': '/lt.Echo/Say',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.write(framed(Buffer.from([0x0a, 0x01, 0x61])).subarray(0, 4)); // part of the prefix, then nothing
    const [headers] = (await once(stream, 'response')) as [Raw['headers']];
    const answer = statusOf({ status: 200, headers, trailers: {}, data: Buffer.alloc(0) });
    expect(answer.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(answer.message).toContain('read_timeout');
    expect(slow.seen.length).toBe(0);
  });

  it('validate reports bad settings at their line', async () => {
    const dir = configDir({
      'main.hcl': hcl(
        'grpc {\n  address          = "127.0.0.1:0"\n  max_message_size = "lots"\n  idle_timeout     = "soon"\n  cert_file        = "cert.pem"\n}',
      ),
      'lt.proto': PROTO,
    });
    const { diagnostics } = await loadPlan({ config: [join(dir, 'main.hcl')], env: { SLOW: 'http://127.0.0.1:1' } });
    expect(diagnostics.errors.map((d) => formatDiagnostic(d).replace(`${dir}/`, ''))).toEqual([
      'main.hcl:7: grpc: cert_file and key_file must be set together',
      expect.stringMatching(/^main\.hcl:5: invalid max_message_size "lots"/),
      expect.stringMatching(/^main\.hcl:6: invalid idle_timeout "soon"/),
    ]);
  });
});

/**
 * The gRPC listener (node:http2) as clients see it, beyond grpc.test.ts: binary metadata
 * both ways, the message bound (RESOURCE_EXHAUSTED naming it), compressed messages with
 * and without grpc-encoding, deadlines from grpc-timeout, a client that cancels (the
 * upstream call is aborted), shutdown (a call in flight finishes, new ones are refused),
 * reflection v1alpha, non-gRPC requests, and grpc-js never loaded for a gRPC listener.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:http2';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { loadProto, reflect, serviceConstructor } from '../fixtures/grpc/helpers.js';
import { framed, hcl, PROTO, raw, statusOf } from '../fixtures/grpc/listener.js';
import { cleanup, closedPort, configDir, sendJson, shared, upstream, waitFor } from './helpers.js';

/** A configuration folder with the flows and their proto, and the proto loaded as a client would. */
const ltFiles = (): { files: string; pkg: grpc.GrpcObject } => {
  const files = configDir({ 'main.hcl': hcl(), 'lt.proto': PROTO });
  return { files, pkg: loadProto(join(files, 'lt.proto')) };
};

type EchoClient = grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>;

describe('gRPC listener on node:http2', () => {
  const setup = shared(async () => {
    // "hold" is never answered: only our own deadline or the client can end such a call.
    const slow = await upstream((_req, res, seen) => {
      const text = seen.url.split('/').pop()!;
      if (text !== 'hold') sendJson(res, 200, { text });
    });
    const { files, pkg } = ltFiles();
    const daemon = await startDaemon({
      config: [join(files, 'main.hcl')],
      env: { ...process.env, SLOW: slow.url },
      cwd: files,
      logger: pino({ level: 'silent' }),
      journal: 'memory',
    });
    cleanup(() => daemon.close());
    const Echo = serviceConstructor(pkg, 'lt.Echo');
    const client = new Echo(daemon.addresses.grpc!, grpc.credentials.createInsecure()) as unknown as EchoClient;
    cleanup(() => client.close());
    return { daemon, client, slow, address: daemon.addresses.grpc! };
  });

  const unary = (
    method: string,
    request: unknown,
    metadata = new grpc.Metadata(),
    options: grpc.CallOptions = {},
  ): Promise<{ error: grpc.ServiceError | null; response?: Record<string, unknown>; metadata?: grpc.Metadata }> =>
    new Promise((resolve) => {
      let initial: grpc.Metadata | undefined;
      const call = setup().client[method]!(
        request,
        metadata,
        options,
        (error: grpc.ServiceError | null, response?: Record<string, unknown>) =>
          resolve({ error, response, metadata: error?.metadata ?? initial }),
      );
      call.on('metadata', (md: grpc.Metadata) => (initial = md));
    });

  it('passes binary and text metadata both ways', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('x-tag-bin', Buffer.from([0, 1, 2, 255]));
    metadata.set('x-tag', 'plain');
    const answer = await unary('Say', { text: 'hi' }, metadata);
    expect(answer.error).toBeNull();
    expect(answer.response).toMatchObject({ text: 'hi' });
    expect(answer.metadata!.get('x-echo-bin')).toEqual([Buffer.from([0, 1, 2, 255])]);
    expect(answer.metadata!.get('x-echo')).toEqual(['plain']);
  });

  it('answers RESOURCE_EXHAUSTED naming the limit for a message above 4 MiB, without running the flow', async () => {
    const answer = await unary('Say', { text: 'big', blob: Buffer.alloc(4 * 1024 * 1024 + 1) });
    expect(answer.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(answer.error?.details).toContain('4194304');
    // The same connection still serves.
    expect((await unary('Say', { text: 'after' })).response).toMatchObject({ text: 'after' });
  });

  it('reads a gzip message when the call names grpc-encoding; a compressed flag without it is INTERNAL', async () => {
    const message = Buffer.from([0x0a, 0x03, 0x7a, 0x69, 0x70]); // Msg { text: "zip" }
    const zipped = await raw(setup().address, '/lt.Echo/Say', framed(gzipSync(message), true), {
      'grpc-encoding': 'gzip',
    });
    expect(statusOf(zipped).code).toBe(grpc.status.OK);
    expect(zipped.data.subarray(5)).toEqual(message);

    const bare = await raw(setup().address, '/lt.Echo/Say', framed(message, true));
    expect(statusOf(bare)).toMatchObject({ code: grpc.status.INTERNAL });
    expect(statusOf(bare).message).toContain('grpc-encoding');

    const unknown = await raw(setup().address, '/lt.Echo/Say', framed(message, true), { 'grpc-encoding': 'snappy' });
    expect(statusOf(unknown).code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('answers UNIMPLEMENTED for an unknown method, 415 for a request that is not gRPC, INTERNAL for a cut message', async () => {
    expect(statusOf(await raw(setup().address, '/lt.Echo/Nope', framed(Buffer.alloc(0)))).code).toBe(
      grpc.status.UNIMPLEMENTED,
    );
    const json = await raw(setup().address, '/lt.Echo/Say', Buffer.from('{}'), { 'content-type': 'application/json' });
    expect(json.status).toBe(415);
    const cut = await raw(setup().address, '/lt.Echo/Say', framed(Buffer.from([0x0a, 0x01, 0x61])).subarray(0, 6));
    expect(statusOf(cut).code).toBe(grpc.status.INTERNAL);
  });

  it('bounds the flow by grpc-timeout and answers DEADLINE_EXCEEDED itself', async () => {
    const before = setup().slow.seen.length;
    const answer = await raw(
      setup().address,
      '/lt.Echo/Slow',
      framed(Buffer.from([0x0a, 0x04, 0x68, 0x6f, 0x6c, 0x64])),
      {
        'grpc-timeout': '300m',
      },
    );
    expect(statusOf(answer).code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(setup().slow.seen.length).toBe(before + 1); // the call reached the upstream, which held it
  });

  it('a client that cancels aborts the flow: the upstream call is closed', async () => {
    const { slow } = setup();
    let closed = 0;
    const onRequest = (_req: unknown, res: { once(e: string, f: () => void): void; writableFinished: boolean }) =>
      res.once('close', () => {
        if (!res.writableFinished) closed++;
      });
    slow.server.on('request', onRequest);
    cleanup(() => slow.server.off('request', onRequest));
    const before = slow.seen.length;
    const call = setup().client.Slow!({ text: 'hold' }, () => undefined);
    await waitFor(() => slow.seen.length === before + 1, 'the upstream to receive the call');
    call.cancel();
    await waitFor(() => closed === 1, 'the upstream call to be aborted');
  });

  it('reflection answers a file by name with its dependencies, and NOT_FOUND for an unknown symbol', async () => {
    const bySymbol = await reflect(setup().address, { file_containing_symbol: 'lt.Echo.Say' });
    const [first] = bySymbol.file_descriptor_response!.file_descriptor_proto;
    const name = descriptor.FileDescriptorProto.decode(first!).name;
    const byName = await reflect(setup().address, { file_by_filename: name });
    expect(byName.file_descriptor_response!.file_descriptor_proto[0]).toEqual(first);
    const missing = await reflect(setup().address, { file_containing_symbol: 'lt.Nope' });
    expect(missing.error_response?.error_code).toBe(grpc.status.NOT_FOUND);
  });

  it('serves reflection v1alpha too', async () => {
    const dir = join(
      fileURLToPath(new URL('.', import.meta.url)),
      '../../node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto',
    );
    const Reflection = serviceConstructor(loadProto(dir), 'grpc.reflection.v1alpha.ServerReflection');
    const client = new Reflection(setup().address, grpc.credentials.createInsecure());
    cleanup(() => client.close());
    const stream = (
      client as unknown as Record<string, () => grpc.ClientDuplexStream<unknown, Record<string, unknown>>>
    ).ServerReflectionInfo!.call(client);
    stream.write({ list_services: '' });
    const [answer] = (await once(stream, 'data')) as [{ list_services_response: { service: Array<{ name: string }> } }];
    stream.end();
    expect(answer.list_services_response.service.map((s) => s.name)).toEqual(['lt.Echo']);
  });
});

describe('gRPC listener: shutdown', () => {
  it('lets a call in flight finish, refuses new ones, then closes', async () => {
    const held: Array<() => void> = [];
    const slow = await upstream((_req, res, seen) => {
      if (seen.url.endsWith('/hold')) held.push(() => sendJson(res, 200, { text: 'finished' }));
      else sendJson(res, 200, { text: 'quick' });
    });
    const { files, pkg } = ltFiles();
    const daemon: Daemon = await startDaemon({
      config: [join(files, 'main.hcl')],
      env: { ...process.env, SLOW: slow.url },
      cwd: files,
      logger: pino({ level: 'silent' }),
      journal: 'memory',
    });
    let closed = false;
    cleanup(() => (closed ? undefined : daemon.close()));
    const Echo = serviceConstructor(pkg, 'lt.Echo');
    const client = new Echo(daemon.addresses.grpc!, grpc.credentials.createInsecure()) as unknown as EchoClient;
    cleanup(() => client.close());
    const inFlight = new Promise<{ error: grpc.ServiceError | null; response?: Record<string, unknown> }>((resolve) =>
      client.Slow!({ text: 'hold' }, (error: grpc.ServiceError | null, response?: Record<string, unknown>) =>
        resolve({ error, response }),
      ),
    );
    await waitFor(() => held.length === 1, 'the upstream to hold the call');
    // A connection without calls, open before the shutdown: it is told to go away.
    const idle = connect(`http://${daemon.addresses.grpc!}`);
    idle.on('error', () => undefined);
    cleanup(() => idle.destroy());
    await once(idle, 'connect');
    const goaway = once(idle, 'goaway');
    const closing = daemon.close().then(() => (closed = true));
    await goaway;
    // A new connection is refused once the listener stops accepting.
    await waitFor(async () => {
      const late = await raw(daemon.addresses.grpc!, '/lt.Echo/Say', framed(Buffer.alloc(0))).catch(() => undefined);
      return late === undefined;
    }, 'new connections to be refused');
    expect(closed).toBe(false);
    held[0]!();
    expect(await inFlight).toEqual({ error: null, response: { text: 'finished' } });
    await closing;
  });
});

describe('gRPC listener: modules', () => {
  it('a daemon serving gRPC endpoints with HTTP upstreams never loads grpc-js', async () => {
    const slow = await upstream((_req, res) => sendJson(res, 200, { text: 'up' }));
    const { files } = ltFiles();
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const script = `
      import { createRequire } from 'node:module';
      import pino from 'pino';
import descriptor from 'protobufjs/ext/descriptor/index.js';
      import { startDaemon } from './dist/src/daemon/daemon.js';
      import { H2Session } from './dist/src/transport/grpc/h2-session.js';
      const daemon = await startDaemon({ config: [${JSON.stringify(join(files, 'main.hcl'))}], env: { ...process.env, SLOW: ${JSON.stringify(slow.url)} }, logger: pino({ level: 'silent' }), journal: 'memory' });
      const session = new H2Session({ authority: daemon.addresses.grpc, secure: false });
      const slow = await session.unary('/lt.Echo/Slow', {}, Buffer.from([0x0a, 0x01, 0x61]), 5000, () => {});
      const reflection = await session.unary('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', {}, Buffer.from([0x3a, 0x00]), 5000, () => {});
      session.close();
      await daemon.close();
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('@grpc/grpc-js'));
      console.log(JSON.stringify({ slow: slow.code, reflection: reflection.code, loaded: loaded.length }));
    `;
    // Not spawnSync: the upstream answers from this process.
    const run = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout.trim().split('\n').pop()!)).toEqual({ slow: 0, reflection: 0, loaded: 0 });
  });
});

describe('gRPC listener: a proxy whose target is down', () => {
  it('answers UNAVAILABLE', async () => {
    const fixtures = fileURLToPath(new URL('../fixtures/stream', import.meta.url));
    const meta = await upstream((_req, res) => sendJson(res, 200, { label: 'L' }));
    const gone = new URL(await closedPort());
    const daemon = await startDaemon({
      config: [join(fixtures, 'relay.hcl')],
      env: { ...process.env, TICKER: gone.host, META: meta.url, GRPC_ADDRESS: '127.0.0.1:0' },
      cwd: fixtures,
      logger: pino({ level: 'silent' }),
      journal: 'memory',
    });
    cleanup(() => daemon.close());
    const Ticker = serviceConstructor(loadProto(join(fixtures, 'ticks.proto')), 'ticks.Ticker');
    const client = new Ticker(daemon.addresses.grpc!, grpc.credentials.createInsecure());
    cleanup(() => client.close());
    const metadata = new grpc.Metadata();
    metadata.set('x-topic', 'news');
    const call = (client as unknown as Record<string, (m: grpc.Metadata) => grpc.ClientDuplexStream<unknown, unknown>>)
      .Echo!(metadata);
    call.on('error', () => undefined);
    call.write({ seq: 1 });
    call.end();
    const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
  });
});

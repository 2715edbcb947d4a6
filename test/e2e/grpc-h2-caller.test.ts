/**
 * What the node:http2 gRPC caller must do beyond grpc-caller.test.ts (which runs it and the
 * grpc-js caller through the same cases): TLS with a verified certificate, metadata both
 * ways (response headers and trailers), the deadline sent as grpc-timeout, a refused
 * connection and a non-gRPC HTTP answer mapped as grpc-js maps them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Http2Server } from 'node:http2';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecs } from '../../src/codec/index.js';
import type { CallPlan, GrpcHost, OutgoingCall, PreparedCall } from '../../src/compile/plan.js';
import { parseGrpcHost } from '../../src/compile/upstream.js';
import { Diagnostics } from '../../src/errors.js';
import { loadSchemas } from '../../src/schema/index.js';
import type { SchemaRegistry } from '../../src/schema/types.js';
import type { Caller } from '../../src/transport/caller.js';
import { createH2GrpcCaller } from '../../src/transport/grpc/h2-caller.js';
import { FIXTURES } from '../fixtures/grpc/helpers.js';
import { selfSignedCertificate, type SelfSigned } from '../fixtures/tls/certificate.js';

const PROTO = path.join(FIXTURES, 'shop/proto/catalog.proto');
const pos = { file: PROTO, line: 0, column: 0 };

interface Seen {
  metadata: Record<string, unknown>;
  deadline: number;
}

describe('gRPC caller on node:http2', () => {
  const seen: Seen[] = [];
  const closers: Array<() => Promise<void> | void> = [];
  let schemas: SchemaRegistry;
  let tls: SelfSigned;
  let plain: string;
  let secure: string;
  let raw: string;
  let socketDir: string;

  beforeAll(async () => {
    const diagnostics = new Diagnostics();
    schemas = await loadSchemas([{ value: PROTO, pos }], diagnostics);
    const item = schemas.messages.get('maestro.catalog.Item')!.proto;
    const query = schemas.messages.get('maestro.catalog.LookupRequest')!.proto;
    const certs = mkdtempSync(path.join(tmpdir(), 'maestro-h2-tls-'));
    try {
      tls = selfSignedCertificate(certs);
    } finally {
      rmSync(certs, { recursive: true, force: true });
    }
    const handler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
      const { id } = query.toObject(query.decode(call.request)) as { id?: string };
      const deadline = call.getDeadline();
      seen.push({
        metadata: call.metadata.getMap(),
        deadline: deadline instanceof Date ? deadline.getTime() : Number(deadline),
      });
      const headers = new grpc.Metadata();
      headers.set('x-source', 'inventory');
      headers.set('x-blob-bin', Buffer.from([1, 2, 3]));
      call.sendMetadata(headers);
      const trailers = new grpc.Metadata();
      trailers.set('x-trailer', 'late');
      if (id === 'missing')
        return callback({ code: grpc.status.NOT_FOUND, details: 'no item 50% off', metadata: trailers });
      if (id === 'huge')
        return callback(null, Buffer.from(item.encode({ id, name: 'x'.repeat(5 * 1024 * 1024) }).finish()), trailers);
      callback(null, Buffer.from(item.encode({ id, stock: 3 }).finish()), trailers);
    };
    for (const credentials of [
      grpc.ServerCredentials.createInsecure(),
      grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }]),
    ]) {
      const server = new grpc.Server();
      server.register(
        '/maestro.catalog.Inventory/Lookup',
        handler,
        (b: Buffer) => b,
        (b: Buffer) => b,
        'unary',
      );
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', credentials, (e, p) => (e ? reject(e) : resolve(p))),
      );
      closers.push(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
      if (plain === undefined) plain = `127.0.0.1:${port}`;
      else secure = `127.0.0.1:${port}`;
    }
    // A resolver-style target (unix:///): dialled through grpc-js.
    socketDir = mkdtempSync(path.join(tmpdir(), 'maestro-h2-unix-'));
    const onSocket = new grpc.Server();
    onSocket.register(
      '/maestro.catalog.Inventory/Lookup',
      handler,
      (b: Buffer) => b,
      (b: Buffer) => b,
      'unary',
    );
    await new Promise<number>((resolve, reject) =>
      onSocket.bindAsync(`unix://${socketDir}/s.sock`, grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    closers.push(() => new Promise<void>((resolve) => onSocket.tryShutdown(() => resolve())));
    // Not a gRPC server: answers every stream with a plain HTTP 404.
    const http: Http2Server = createServer((req, res) => {
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    raw = `127.0.0.1:${(http.address() as { port: number }).port}`;
    closers.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
  });

  afterAll(async () => {
    // Callers first (pushed last): servers wait for their connections to end.
    for (const close of closers.reverse()) await close();
    rmSync(socketDir, { recursive: true, force: true });
  });

  const prepare = (caller: Caller, host: string, timeoutMs?: number, maxResponseBytes?: number): PreparedCall => {
    const service = schemas.services.get('maestro.catalog.Inventory')!;
    const plan: CallPlan = {
      service: {
        fullName: service.fullName,
        transport: 'grpc',
        codec: codecs.get('proto')!,
        host,
        http: undefined,
        grpc: parseGrpcHost(host) as GrpcHost,
        methods: new Map(),
      },
      method: {
        name: 'Lookup',
        requestType: schemas.messages.get('maestro.catalog.LookupRequest'),
        responseType: schemas.messages.get('maestro.catalog.Item'),
        options: {},
      },
      body: undefined,
      header: [],
      params: [],
      timeoutMs,
      http: undefined,
      pos,
      ...(maxResponseBytes ? { maxResponseBytes } : {}),
    };
    return caller.prepare(plan);
  };
  const out = (id: string, headers: Record<string, string> = {}): OutgoingCall => ({
    body: { id },
    params: {},
    headers,
    requestId: `req-${id}`,
  });
  const signal = (): AbortSignal => new AbortController().signal;

  it('sends metadata and the deadline as grpc-timeout, and reads headers and trailers', async () => {
    const caller = createH2GrpcCaller();
    closers.push(() => caller.close());
    const before = Date.now();
    const result = await prepare(
      caller,
      plain,
      5000,
    )(
      out('i1', {
        'X-Tenant': 'acme',
        'trace-bin': Buffer.from([9, 8]).toString('base64'),
        'bad key': 'x',
        te: 'gzip',
      }),
      signal(),
    );
    expect(result).toMatchObject({ status: 200, body: { id: 'i1', stock: 3 } });
    expect(result.headers).toMatchObject({
      'x-source': 'inventory',
      'x-blob-bin': Buffer.from([1, 2, 3]).toString('base64'),
      'x-trailer': 'late',
    });
    expect(result.headers).not.toHaveProperty('grpc-status');
    const last = seen.at(-1)!;
    expect(last.metadata).toMatchObject({
      'x-tenant': 'acme',
      'x-request-id': 'req-i1',
      'trace-bin': Buffer.from([9, 8]),
    });
    expect(last.metadata).not.toHaveProperty('bad key');
    // The upstream's deadline comes from our grpc-timeout: within the 5 s from when we sent it.
    expect(last.deadline).toBeGreaterThan(before);
    expect(last.deadline).toBeLessThanOrEqual(Date.now() + 5000);
  });

  it('maps a non-OK status with its percent-decoded message and keeps its trailers', async () => {
    const caller = createH2GrpcCaller();
    closers.push(() => caller.close());
    const result = await prepare(caller, plain)(out('missing'), signal());
    expect(result.status).toBe(404);
    expect(result.body).toEqual({ message: 'no item 50% off', code: grpc.status.NOT_FOUND });
    expect(result.headers).toMatchObject({ 'x-trailer': 'late' });
  });

  it('calls a grpcs:// host over TLS, verifying the certificate', async () => {
    const trusting = createH2GrpcCaller({ tls: { ca: tls.cert } });
    const untrusting = createH2GrpcCaller();
    closers.push(
      () => trusting.close(),
      () => untrusting.close(),
    );
    expect(await prepare(trusting, `grpcs://${secure}`)(out('t1'), signal())).toMatchObject({
      status: 200,
      body: { id: 't1' },
    });
    // Self-signed and not in the system roots: the connection fails, UNAVAILABLE → 503.
    expect((await prepare(untrusting, `grpcs://${secure}`)(out('t2'), signal())).status).toBe(503);
    // A plain-text host answers in clear text only: asking it for TLS fails the same way.
    expect((await prepare(trusting, `grpcs://${plain}`)(out('t3'), signal())).status).toBe(503);
  });

  it('answers 503 for a refused connection and maps a plain HTTP 404 to UNIMPLEMENTED', async () => {
    const caller = createH2GrpcCaller();
    closers.push(() => caller.close());
    const refused = await prepare(caller, '127.0.0.1:1')(out('r'), signal());
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: grpc.status.UNAVAILABLE });
    const notGrpc = await prepare(caller, raw)(out('n'), signal());
    expect(notGrpc.status).toBe(501);
    expect(notGrpc.body).toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  it('refuses an answer above max_response_size with 502 naming the limit, as the grpc-js caller does', async () => {
    const caller = createH2GrpcCaller();
    closers.push(() => caller.close());
    // 5 MB answer, 4 MB cap (the call's max_response_size).
    await expect(prepare(caller, plain, undefined, 4 * 1024 * 1024)(out('huge'), signal())).rejects.toMatchObject({
      status: 502,
      message: expect.stringContaining('limit max_response_size'),
    });
    // The connection is still usable afterwards.
    expect((await prepare(caller, plain)(out('after'), signal())).status).toBe(200);
  });

  it('dials a resolver-style target (unix:///) through grpc-js', async () => {
    const caller = createH2GrpcCaller();
    closers.push(() => caller.close());
    expect(await prepare(caller, `unix://${socketDir}/s.sock`)(out('u1'), signal())).toMatchObject({
      status: 200,
      body: { id: 'u1', stock: 3 },
    });
  });
});

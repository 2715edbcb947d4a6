/**
 * The gRPC caller on its own, against a real grpc-js upstream: what throws (our deadline,
 * the client going away, an undecodable answer) and what is a result (any other code).
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecs } from '../../src/codec/index.js';
import type { CallPlan, CallResult, OutgoingCall, PreparedCall } from '../../src/compile/plan.js';
import { CallError, Diagnostics } from '../../src/errors.js';
import { loadSchemas } from '../../src/schema/index.js';
import type { SchemaRegistry } from '../../src/schema/types.js';
import type { Caller } from '../../src/transport/caller.js';
import { createGrpcCaller } from '../../src/transport/grpc/caller.js';
import { createH2GrpcCaller } from '../../src/transport/grpc/h2-caller.js';
import { FIXTURES, startGrpcServer, type Running } from '../fixtures/grpc/helpers.js';
import { grpcHost } from '../unit/plan-fixtures.js';

const PROTO = path.join(FIXTURES, 'shop/proto/catalog.proto');
const pos = { file: PROTO, line: 0, column: 0 };

// The daemon uses the node:http2 caller; the grpc-js one stays as the reference both must match.
describe.each([
  ['grpc-js', createGrpcCaller],
  ['node:http2', createH2GrpcCaller],
] as const)('gRPC caller on %s', (_name, createCaller) => {
  const cancelled: string[] = [];
  let upstream: Running;
  let schemas: SchemaRegistry;
  let caller: Caller;

  beforeAll(async () => {
    const diagnostics = new Diagnostics();
    schemas = await loadSchemas([{ value: PROTO, pos }], diagnostics);
    expect(diagnostics.errors).toEqual([]);
    const item = schemas.messages.get('maestro.catalog.Item')!.proto;
    const query = schemas.messages.get('maestro.catalog.LookupRequest')!.proto;
    // Raw handlers: this upstream decides exactly which bytes and codes go back.
    upstream = await startGrpcServer((server) => {
      const handler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
        const { id } = query.toObject(query.decode(call.request)) as { id?: string };
        call.on('cancelled', () => cancelled.push(String(id)));
        if (id === 'garbage') return callback(null, Buffer.from([0xff, 0xff, 0xff, 0xff]));
        if (id === 'relayed-timeout')
          return callback({ code: grpc.status.DEADLINE_EXCEEDED, details: 'my upstream was slow' });
        if (id === 'conflict') return callback({ code: grpc.status.ALREADY_EXISTS, details: 'exists already' });
        const answer = (): void => callback(null, Buffer.from(item.encode({ id, stock: 7 }).finish()));
        if (id === 'slow') setTimeout(answer, 800);
        else answer();
      };
      server.register(
        '/maestro.catalog.Inventory/Lookup',
        handler,
        (b: Buffer) => b,
        (b: Buffer) => b,
        'unary',
      );
      server.register(
        '/maestro.catalog.Inventory/Ping',
        ((_call, callback) => callback(null, Buffer.alloc(0))) as grpc.handleUnaryCall<Buffer, Buffer>,
        (b: Buffer) => b,
        (b: Buffer) => b,
        'unary',
      );
    });
    caller = createCaller();
  });

  afterAll(async () => {
    await caller.close();
    await upstream.close();
  });

  const prepare = (options: { timeoutMs?: number; untyped?: boolean; method?: string } = {}): PreparedCall => {
    const service = schemas.services.get('maestro.catalog.Inventory')!;
    const method = options.method ?? 'Lookup';
    const plan: CallPlan = {
      service: {
        fullName: service.fullName,
        transport: 'grpc',
        codec: codecs.get('proto')!,
        host: `http://${upstream.address}`,
        http: undefined,
        grpc: grpcHost(`http://${upstream.address}`),
        methods: new Map(),
      },
      method: {
        name: method,
        requestType: options.untyped ? undefined : schemas.messages.get('maestro.catalog.LookupRequest'),
        responseType: options.untyped ? undefined : schemas.messages.get('maestro.catalog.Item'),
        options: {},
      },
      body: undefined,
      header: [],
      params: [],
      timeoutMs: options.timeoutMs,
      http: undefined,
      pos,
    };
    return caller.prepare(plan);
  };
  const out = (id: string): OutgoingCall => ({ body: { id }, params: {}, headers: {}, requestId: `req-${id}` });
  const failure = async (promise: Promise<CallResult>): Promise<CallError> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CallError);
    return error as CallError;
  };

  it('decodes an OK answer into runtime values', async () => {
    const result = await prepare()(out('i1'), new AbortController().signal);
    expect(result).toMatchObject({ status: 200, body: { id: 'i1', stock: 7 } });
  });

  it('turns a non-OK code into a result with the mapped status', async () => {
    const result = await prepare()(out('conflict'), new AbortController().signal);
    expect(result.status).toBe(409);
    expect(result.body).toEqual({ message: 'exists already', code: grpc.status.ALREADY_EXISTS });
  });

  it('keeps an upstream relaying a timeout a result, our own deadline a 504 CallError', async () => {
    const relayed = await prepare({ timeoutMs: 2000 })(out('relayed-timeout'), new AbortController().signal);
    expect(relayed.status).toBe(504);
    const error = await failure(prepare({ timeoutMs: 100 })(out('slow'), new AbortController().signal));
    expect(error.status).toBe(504);
  });

  it('throws 499 and cancels the upstream call when the client goes away', async () => {
    const controller = new AbortController();
    const pending = prepare()(out('slow'), controller.signal);
    setTimeout(() => controller.abort(), 50);
    const error = await failure(pending);
    expect(error.status).toBe(499);
    expect(error.code).toBe('MAESTRO_ERR_ABORTED');
    await expect.poll(() => cancelled).toContain('slow');
  });

  it('throws 502 for an answer that does not decode', async () => {
    const error = await failure(prepare()(out('garbage'), new AbortController().signal));
    expect(error.status).toBe(502);
  });

  it('sends and reads the empty message for an untyped method', async () => {
    const result = await prepare({ untyped: true, method: 'Ping' })(out('x'), new AbortController().signal);
    expect(result).toMatchObject({ status: 200, body: {} });
  });
});

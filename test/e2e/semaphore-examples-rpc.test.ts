/**
 * Semaphore's grpc, graphql and multiple-gateways examples run unchanged against local
 * stand-ins. The grpc example shows proto3 defaults: the stand-in gRPC server leaves zero
 * values off the wire as every proto3 server does, and the answer still carries them
 * (`{"msg":"","meta":{"session":0}}`, as the original wrote it).
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, PRESENT, runExample } from '../fixtures/compat/examples.js';
import { callUnary, loadProto, serviceConstructor, startGrpcServer } from '../fixtures/grpc/helpers.js';
import { cleanup, postJson, send, sendJson, upstream } from './helpers.js';

describe.skipIf(!PRESENT)('Semaphore examples, unchanged, on local stand-ins (RPC)', () => {
  it('grpc: a gRPC upstream that omits zero values answers with proto3 defaults, over HTTP and gRPC', async () => {
    const greeter = loadProto(join(EXAMPLES, 'grpc/proto/greeter.proto'));
    const seen: unknown[] = [];
    const replies = [{ meta: {} }, { msg: 'Hello Ann', meta: { session: '42' } }, { meta: {} }];
    const server = await startGrpcServer((s) => {
      s.addService(serviceConstructor(greeter, 'semaphore.greeter.Say').service, {
        Hello: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          seen.push(call.request);
          callback(null, replies[seen.length - 1]);
        },
      });
    });
    cleanup(() => server.close());
    const { http, grpc: grpcAddress } = await runExample(
      ['grpc/gateway/config.hcl'],
      `services {\n  select "semaphore.greeter.*" {\n    host = "${server.address}"\n  }\n}\n`,
    );

    const empty = await postJson(`${http}/`, { name: '' });
    expect(empty.status).toBe(200);
    expect(empty.text).toBe('{"msg":"","meta":{"session":0}}');
    const named = await postJson(`${http}/`, { name: 'Ann' });
    expect(named.json()).toEqual({ msg: 'Hello Ann', meta: { session: 42 } });
    expect(seen).toEqual([{ name: '' }, { name: 'Ann' }]);

    const client = new (serviceConstructor(greeter, 'semaphore.greeter.Say'))(
      grpcAddress!,
      grpc.credentials.createInsecure(),
    );
    const answer = await callUnary(client, 'Hello', { name: 'Bo' });
    client.close();
    expect(answer.error).toBeNull();
    // The output was written with its defaults, so the client reads them even with defaults off.
    expect(answer.response).toEqual({ msg: '', meta: { session: '0' } });
  });

  it('graphql: two query fields nested under todo, one with an argument', async () => {
    const up = await upstream((_req, res, seen) => {
      const id = Number(seen.url.split('/').pop());
      return sendJson(res, 200, { userId: 1, id, title: `todo ${id}`, completed: id === 2 });
    });
    const { graphql } = await runExample(
      ['graphql/config.hcl'],
      `services {\n  select "com.semaphore.*" {\n    host = "${up.url}/"\n  }\n}\n`,
    );
    // The original's README posts with curl -d: no JSON content type.
    const latest = await send(`${graphql!}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify({ query: '{ todo { latest { id title completed } } }' }),
    });
    expect(latest.status).toBe(200);
    expect(latest.json()).toEqual({ data: { todo: { latest: { id: 1, title: 'todo 1', completed: false } } } });
    const query = await postJson(`${graphql!}/graphql`, {
      query: '{ todo { query(id: "2") { id userId title completed } } }',
    });
    expect(query.json()).toEqual({ data: { todo: { query: { id: 2, userId: 1, title: 'todo 2', completed: true } } } });
    expect(up.seen.map((s) => s.url)).toEqual(['/todos/1', '/todos/2']);
  });

  it("multiple-gateways: gateway proxy → hub flow, each daemon on the example's own files", async () => {
    let n = 0;
    const users = await upstream((_req, res) => {
      n++;
      sendJson(res, 200, { id: n, name: `user ${n}`, username: `u${n}`, email: 'not@in.the.output' });
    });
    const select = (name: string, host: string) => `  select "${name}" {\n    host = "${host}"\n  }\n`;
    const hub = await runExample(
      ['multiple-gateways/hub/config.hcl'],
      `services {\n${select('com.semaphore.Users', `${users.url}/`)}}\n`,
    );
    const gateway = await runExample(
      ['multiple-gateways/gateway/config.hcl'],
      `services {\n${select('com.semaphore.Users', `${users.url}/`)}${select('com.semaphore.Hub', hub.http)}}\n`,
    );
    const res = await send(`${gateway.http}/v1/user`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ id: 2, name: 'user 2', username: 'u2' });
    expect(users.seen.map((s) => s.url)).toEqual(['/users/1', '/users/1']);
  });
});

it.skipIf(PRESENT)(`Semaphore examples (RPC): skipped, ${EXAMPLES} is not beside the project`, () => {});

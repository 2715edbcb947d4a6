/**
 * Service discovery (issue #12): `discovery "consul" { address }` and `resolver = "consul"`
 * against a stand-in Consul agent on 127.0.0.1 (the same health API, index headers and
 * blocking queries). Calls go to passing instances only, a catalog change reaches the next
 * call, an empty or unreachable catalog answers 503 saying which; `resolver = "dns"` uses
 * the host name's records.
 */
import dns from 'node:dns';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { WebSocket, WebSocketServer } from 'ws';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';
import { standInConsul } from '../fixtures/compat/consul.js';
import { standInDns } from '../fixtures/compat/dns.js';
import { loadProto, serviceConstructor, startGrpcServer } from '../fixtures/grpc/helpers.js';
import { cleanup, closedPort, configDir, daemon, send, sendJson, upstream, waitFor, type Upstream } from './helpers.js';

function config(resolver: string, host = 'http://dogs'): string {
  return `
discovery "consul" {
  address = "$CONSUL"
}

service "pets" "Dogs" {
  transport = "http"
  host      = "${host}"
  resolver  = "${resolver}"

  method "List" {
    options {
      endpoint = "/dogs"
      method   = "GET"
    }
  }
}

endpoint "dogs" "http" {
  endpoint = "/dogs"
  method   = "GET"
}

flow "dogs" {
  resource "list" {
    request "pets.Dogs" "List" {}
  }

  output {
    from = "{{ list:from }}"
  }
}
`;
}

async function dogs(name: string): Promise<Upstream> {
  return upstream((_req, res) => sendJson(res, 200, { from: name }));
}

function portOf(up: Upstream): number {
  return Number(new URL(up.url).port);
}

describe('consul discovery', () => {
  it('calls passing instances only, in turn, and follows catalog changes on the next call', async () => {
    const consul = await standInConsul();
    const [a, b, c, sick] = await Promise.all([dogs('a'), dogs('b'), dogs('c'), dogs('sick')]);
    consul.set('dogs', [
      { id: 'a', address: '127.0.0.1', port: portOf(a), status: 'passing' },
      { id: 'sick', address: '127.0.0.1', port: portOf(sick), status: 'critical' },
      { id: 'b', address: '127.0.0.1', port: portOf(b), status: 'passing' },
    ]);
    const dir = configDir({ 'dogs.hcl': config('consul') });
    const { base } = await daemon([join(dir, 'dogs.hcl')], { CONSUL: consul.url });

    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await send(`${base}/dogs`)).json<{ from: string }>().from);
    expect(answers.sort()).toEqual(['a', 'a', 'b', 'b']);
    expect(sick.seen).toHaveLength(0);
    expect(consul.queries[0]).toEqual({ service: 'dogs', index: 0, passing: true });

    // The watch now holds a blocking query with the current index; a change answers it.
    await waitFor(() => consul.held === 1, 'a blocking query to be held');
    const queriesBefore = consul.queries.length;
    consul.set('dogs', [{ id: 'c', address: '127.0.0.1', port: portOf(c), status: 'passing' }]);
    // Maestro has the change once it asks again with the new index.
    await waitFor(() => consul.queries.length > queriesBefore && consul.held === 1, 'the next blocking query');
    expect(consul.queries.at(-1)!.index).toBeGreaterThan(consul.queries[0]!.index);
    const after = await send(`${base}/dogs`);
    expect(after.json()).toEqual({ from: 'c' });
    expect(a.seen.length + b.seen.length).toBe(4);
  });

  it("sends a proxy's forwarded requests to the instance Consul names", async () => {
    const consul = await standInConsul();
    const hub = await upstream((_req, res, seen) => sendJson(res, 200, { hub: seen.url }), {
      attach: (server) => {
        const wss = new WebSocketServer({ server });
        wss.on('connection', (socket) => socket.on('message', (data) => socket.send(String(data))));
        return () => wss.close();
      },
    });
    consul.set('hub', [{ id: 'hub-1', address: '127.0.0.1', port: portOf(hub), status: 'passing' }]);
    const hcl =
      `discovery "consul" {\n  address = "$CONSUL"\n}\n\nservice "pets" "Hub" {\n  host     = "http://hub"\n  resolver = "consul"\n}\n\n` +
      'endpoint "gw" "http" {\n  endpoint = "/*path"\n  method   = "*"\n}\n\nproxy "gw" {\n  forward "pets.Hub" {}\n}\n';
    const dir = configDir({ 'gw.hcl': hcl });
    const { base } = await daemon([join(dir, 'gw.hcl')], { CONSUL: consul.url });
    const res = await send(`${base}/v1/dogs?x=1`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ hub: '/v1/dogs?x=1' });

    // A websocket upgrade goes to the same instance.
    const ws = new WebSocket(`${base.replace('http:', 'ws:')}/v1/echo`);
    cleanup(() => ws.terminate());
    const echoed = new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    ws.once('open', () => ws.send('woof'));
    expect(await echoed).toBe('woof');

    consul.set('hub', []);
    await waitFor(async () => (await send(`${base}/v1/dogs`)).status === 503, 'the emptied catalog to reach the proxy');
  });

  it('answers 503 with a clear message when no instance passes', async () => {
    const consul = await standInConsul();
    consul.set('dogs', []);
    const dir = configDir({ 'dogs.hcl': config('consul') });
    const { base } = await daemon([join(dir, 'dogs.hcl')], { CONSUL: consul.url });
    const res = await send(`${base}/dogs`);
    expect(res.status).toBe(503);
    expect(res.json()).toEqual({
      status: 503,
      message: 'service discovery for "dogs" failed: consul "consul" lists no passing instance',
    });
  });

  it('answers 503 with a clear message when consul is unreachable', async () => {
    const dir = configDir({ 'dogs.hcl': config('consul') });
    const { base } = await daemon([join(dir, 'dogs.hcl')], { CONSUL: await closedPort() });
    const res = await send(`${base}/dogs`);
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({
      status: 503,
      message: expect.stringMatching(/^service discovery for "dogs" failed: consul "consul" is unreachable/),
    });
  });

  it('rejects a resolver that names no discovery block, at file:line', async () => {
    const dir = configDir({ 'dogs.hcl': config('consol') });
    const file = join(dir, 'dogs.hcl');
    const { diagnostics } = await loadPlan({ config: [file], env: { CONSUL: 'http://127.0.0.1:8500' } });
    expect(diagnostics.errors.map(formatDiagnostic)).toEqual([
      `${file}:9: service "pets.Dogs" uses resolver "consol", but no discovery block has that name — did you mean "consul"?`,
    ]);
  });
});

describe('consul discovery of a gRPC service', () => {
  it('dials the passing instances Consul names, in turn', async () => {
    const proto =
      'syntax = "proto3";\npackage pets;\nservice Dogs {\n  rpc Bark (Req) returns (Res);\n}\nmessage Req {\n  string name = 1;\n}\nmessage Res {\n  string from = 1;\n}\n';
    const hcl =
      'protobuffers = ["./dogs.proto"]\n\ndiscovery "consul" {\n  address = "$CONSUL"\n}\n\nservice "pets" "Dogs" {\n  transport = "grpc"\n  host      = "dogs:50051"\n  resolver  = "consul"\n}\n\n' +
      'endpoint "bark" "http" {\n  endpoint = "/bark"\n  method   = "GET"\n}\n\nflow "bark" {\n  resource "bark" {\n    request "pets.Dogs" "Bark" {\n      name = "rex"\n    }\n  }\n\n  output {\n    from = "{{ bark:from }}"\n  }\n}\n';
    const dir = configDir({ 'dogs.proto': proto, 'dogs.hcl': hcl });
    const dogsProto = loadProto(join(dir, 'dogs.proto'));
    const barked: string[] = [];
    const instance = (name: string) =>
      startGrpcServer((server) => {
        server.addService(serviceConstructor(dogsProto, 'pets.Dogs').service, {
          Bark: (call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
            barked.push(`${name}:${call.request.name}`);
            callback(null, { from: name });
          },
        });
      });
    const [one, two] = await Promise.all([instance('one'), instance('two')]);
    cleanup(() => Promise.all([one.close(), two.close()]));
    const consul = await standInConsul();
    const port = (address: string) => Number(address.split(':').pop());
    consul.set('dogs', [
      { id: 'one', address: '127.0.0.1', port: port(one.address), status: 'passing' },
      { id: 'two', address: '127.0.0.1', port: port(two.address), status: 'passing' },
    ]);
    const { base } = await daemon([join(dir, 'dogs.hcl')], { CONSUL: consul.url });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await send(`${base}/bark`)).json<{ from: string }>().from);
    expect(answers.sort()).toEqual(['one', 'one', 'two', 'two']);
    expect(barked.sort()).toEqual(['one:rex', 'one:rex', 'two:rex', 'two:rex']);
  });
});

describe('dns discovery', () => {
  it('uses the SRV records of the host name, best priority only, in turn', async () => {
    const [one, two, backup] = await Promise.all([dogs('one'), dogs('two'), dogs('backup')]);
    const name = '_http._tcp.dogs.pets.svc.cluster.local';
    const server = await standInDns({
      [name]: [
        { priority: 10, weight: 5, port: portOf(one), target: '127.0.0.1' },
        { priority: 10, weight: 5, port: portOf(two), target: '127.0.0.1' },
        { priority: 20, weight: 5, port: portOf(backup), target: '127.0.0.1' },
      ],
    });
    const previous = dns.getServers();
    dns.setServers([server.address]);
    cleanup(() => dns.setServers(previous));
    // The host names the service; its SRV records are asked for as _http._tcp.<host>.
    const dir = configDir({ 'dogs.hcl': config('dns', 'http://dogs.pets.svc.cluster.local') });
    const { base } = await daemon([join(dir, 'dogs.hcl')], { CONSUL: 'http://127.0.0.1:1' });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await send(`${base}/dogs`)).json<{ from: string }>().from);
    expect(answers.sort()).toEqual(['one', 'one', 'two', 'two']);
    expect(backup.seen).toHaveLength(0);
    expect(server.questions).toContain(name);
  });

  it("resolves the host name at call time (address records, the URL's port)", async () => {
    const up = await dogs('dns');
    const dir = configDir({ 'dogs.hcl': config('dns', `http://localhost:${portOf(up)}`) });
    const { base } = await daemon([join(dir, 'dogs.hcl')], { CONSUL: 'http://127.0.0.1:1' });
    const res = await send(`${base}/dogs`);
    expect(res.json()).toEqual({ from: 'dns' });
    expect(up.seen).toHaveLength(1);
    // The call went to the address DNS gave, not to the name.
    expect(up.seen[0]!.headers.host).toMatch(/^(127\.0\.0\.1|\[::1\]):\d+$/);
  });
});

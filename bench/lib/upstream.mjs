// The benchmark's upstreams: one nginx worker (Debian's package) answering every HTTP
// path with the same JSON document and every gRPC method with the same framed User, so
// the upstream is never the bottleneck (run.mjs prints the direct figure to show it).
// When nginx is missing, a Node HTTP/1.1 + HTTP/2 server does the same job, slower.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createH2Server } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinned, waitFor } from './proc.mjs';

export const JSON_BODY = JSON.stringify({
  id: 7,
  name: 'Ann',
  email: 'ann@example.com',
  active: true,
  tags: ['a', 'b'],
  items: [
    { sku: 'x', qty: 1 },
    { sku: 'y', qty: 2 },
  ],
  address: { street: 'Main', city: 'Oslo' },
});

/** maestro.bench.User {id: 7, name: "Ann", email: "ann@example.com"} in a gRPC frame. */
export function grpcFrame() {
  const email = Buffer.from('ann@example.com');
  const message = Buffer.concat([
    Buffer.from([0x08, 0x07, 0x12, 0x03]),
    Buffer.from('Ann'),
    Buffer.from([0x1a, email.length]),
    email,
  ]);
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

function nginxConfig(dir, httpPort, grpcPort) {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path ${dir};
  server {
    listen 127.0.0.1:${httpPort};
    default_type application/json;
    location / { return 200 '${JSON_BODY}'; }
  }
  server {
    listen 127.0.0.1:${grpcPort} http2;
    root ${dir}/www;
    location / {
      default_type application/grpc;
      add_trailer grpc-status 0 always;
      # The static module refuses POST with 405; gRPC calls are POSTs of the same file.
      error_page 405 =200 $uri;
    }
  }
}
`;
}

/** Starts the upstreams on core `core`; returns {kind, http, grpc, pid, close}. */
export async function startUpstream({ core, httpPort, grpcPort }) {
  const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);
  if (nginx) {
    const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-nginx-'));
    mkdirSync(join(dir, 'www', 'maestro.bench.Upstream'), { recursive: true });
    writeFileSync(join(dir, 'www', 'maestro.bench.Upstream', 'Get'), grpcFrame());
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, httpPort, grpcPort));
    const child = spawn(...pinned(core, nginx, ['-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')]), {
      stdio: 'ignore',
    });
    // Also when the bench dies of an exception: nginx must not outlive it.
    process.once('exit', () => {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    });
    await waitFor(`http://127.0.0.1:${httpPort}/ready`, 5000);
    return {
      kind: 'nginx (1 worker)',
      http: `http://127.0.0.1:${httpPort}`,
      grpc: `127.0.0.1:${grpcPort}`,
      pid: child.pid,
      close() {
        child.kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const body = Buffer.from(JSON_BODY);
  const http = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  });
  const frame = grpcFrame();
  const h2 = createH2Server((req, res) => {
    req.resume();
    req.on('end', () => {
      res.addTrailers({ 'grpc-status': '0' });
      res.writeHead(200, { 'content-type': 'application/grpc' }).end(frame);
    });
  });
  await new Promise((r) => http.listen(httpPort, '127.0.0.1', r));
  await new Promise((r) => h2.listen(grpcPort, '127.0.0.1', r));
  return {
    kind: 'node (in the bench process)',
    http: `http://127.0.0.1:${httpPort}`,
    grpc: `127.0.0.1:${grpcPort}`,
    pid: process.pid,
    close() {
      http.close();
      h2.close();
      http.closeAllConnections();
    },
  };
}

/**
 * The admin listener (`admin { address }`), apart from the traffic listeners so that
 * probes and scrapes never share a port or a route table with flows:
 *
 *   GET /healthz   the process answers
 *   GET /readyz    a configuration is compiled, every listener bound, not draining
 *   GET /metrics   Prometheus text format (Maestro's series and process metrics)
 *   GET /config    loaded files and their sha256, the reload history, bound addresses
 *
 * More GET routes can be mounted with `routes` (a page about the flows, say). /config
 * shows paths, digests and positioned messages as written in the files, never values
 * after `$VAR` expansion, so no secret leaves through it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ListenAddress } from '../compile/plan.js';
import { bindServer, closeServer } from '../transport/shared/address.js';
import type { Listener } from '../transport/listener.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';

export interface AdminRoute {
  /** Exact path, e.g. `/flows`. */
  path: string;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface AdminOptions {
  address: ListenAddress;
  ready: () => boolean;
  metrics: () => Promise<string>;
  config: () => unknown;
  routes: readonly AdminRoute[];
}

export function createAdminListener(options: AdminOptions): Listener {
  const routes = new Map<string, AdminRoute['handle']>([
    ['/healthz', (_req, res) => json(res, 200, { status: 'ok' })],
    [
      '/readyz',
      (_req, res) => {
        const ready = options.ready();
        json(res, ready ? 200 : 503, { status: ready ? 'ok' : 'unavailable' });
      },
    ],
    [
      '/metrics',
      async (_req, res) => {
        const body = await options.metrics();
        res
          .writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) })
          .end(body);
      },
    ],
    ['/config', (_req, res) => json(res, 200, options.config())],
  ]);
  for (const route of options.routes) routes.set(route.path, route.handle);

  let server: Server | undefined;
  return {
    async listen(): Promise<string> {
      const created = createServer((req, res) => {
        const path = (req.url ?? '/').split('?', 1)[0]!;
        const handle = routes.get(path);
        if (!handle) return json(res, 404, { status: 404, message: `no admin route ${path}` });
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.setHeader('allow', 'GET, HEAD');
          return json(res, 405, { status: 405, message: 'method not allowed' });
        }
        Promise.resolve(handle(req, res)).catch(() => {
          if (!res.headersSent) json(res, 500, { status: 500, message: 'internal error' });
          else res.destroy();
        });
      });
      server = created;
      return bindServer(created, options.address);
    },
    async close(): Promise<void> {
      const current = server;
      if (!current) return;
      server = undefined;
      await closeServer(current);
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

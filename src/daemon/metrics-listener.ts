/**
 * The `prometheus` listener: a bare node:http server that answers GET /metrics (and
 * nothing else) with the text format, apart from the flow listeners.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { ListenAddress } from '../compile/plan.js';
import { bindServer, closeServer } from '../transport/shared/address.js';
import type { Listener } from '../transport/listener.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';
import type { PageHandler } from './flows-page.js';

/** `pages` answers extra paths first (the /flows page), undefined when it has none. */
export function createMetricsListener(
  address: ListenAddress,
  render: () => string | Promise<string>,
  pages?: PageHandler,
): Listener {
  let server: Server | undefined;
  return {
    async listen(): Promise<string> {
      if (server) throw new Error('the prometheus listener is already listening');
      const created = createServer((req, res) => {
        const path = (req.url ?? '/').split('?', 1)[0];
        if (pages && path !== '/metrics') return void servePage(pages, req.method ?? 'GET', path ?? '/', res);
        if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
        void Promise.resolve(render()).then(
          (body) => {
            res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
            res.end(req.method === 'HEAD' ? undefined : body);
          },
          () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
        );
      });
      server = created;
      return bindServer(created, address);
    },
    async close(): Promise<void> {
      const current = server;
      if (!current) return;
      server = undefined;
      await closeServer(current);
    },
  };
}

/** Writes a page handler's answer (404 when it has none for the path). */
export function servePage(pages: PageHandler, method: string, path: string, res: ServerResponse): void {
  pages(method, path).then(
    (answer) => {
      if (!answer) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
      res.end(method === 'HEAD' ? undefined : answer.body);
    },
    () => res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n'),
  );
}

/**
 * The `prometheus` listener: a bare node:http server that answers GET /metrics (and
 * nothing else) with the text format, apart from the flow listeners.
 */
import { createServer, type Server } from 'node:http';
import { formatBoundAddress, parseListenAddress } from '../transport/http/address.js';
import type { Listener } from '../transport/listener.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';

export function createMetricsListener(address: string, render: () => string | Promise<string>): Listener {
  let server: Server | undefined;
  return {
    async listen(): Promise<string> {
      if (server) throw new Error('the prometheus listener is already listening');
      const { host, port } = parseListenAddress(address);
      const created = createServer((req, res) => {
        const path = (req.url ?? '/').split('?', 1)[0];
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
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject);
        created.listen(port, host, () => {
          created.off('error', reject);
          resolve();
        });
      });
      return formatBoundAddress(created.address());
    },
    async close(): Promise<void> {
      const current = server;
      if (!current) return;
      server = undefined;
      current.closeIdleConnections();
      await new Promise<void>((resolve) => current.close(() => resolve()));
    },
  };
}

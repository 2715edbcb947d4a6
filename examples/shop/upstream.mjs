// The shop's mock microservice: catalog, stock, reviews, reservations and charges.
// Every call is logged so you can watch Maestro fan out and roll back.
import { createServer } from 'node:http';

const products = { L1: { sku: 'L1', name: 'Lamp', price: 20 }, C2: { sku: 'C2', name: 'Chair', price: 45 } };
let nextId = 1;

export function startUpstream(port = 0, log = console.log) {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const url = new URL(req.url, 'http://upstream');
      log(`upstream: ${req.method} ${url.pathname}${raw ? ' ' + raw : ''}`);
      const body = raw ? JSON.parse(raw) : {};
      const [, kind, id] = url.pathname.split('/');
      const send = (status, json) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(json === undefined ? '' : JSON.stringify(json));
      };
      if (req.method === 'GET' && kind === 'products')
        return products[id] ? send(200, products[id]) : send(404, { message: `no product ${id}` });
      if (req.method === 'GET' && kind === 'stock') return send(200, { sku: id, available: id === 'L1' ? 3 : 0 });
      if (req.method === 'GET' && kind === 'reviews') return send(200, { sku: id, average: 4.5, count: 12 });
      if (req.method === 'POST' && kind === 'reservations') return send(201, { id: `r-${nextId++}`, sku: body.sku });
      if (req.method === 'DELETE' && kind === 'reservations') return send(204);
      if (req.method === 'POST' && kind === 'charges') {
        return body.amount > 1000
          ? send(402, { message: 'card declined' })
          : send(201, { id: `ch-${nextId++}`, amount: body.amount });
      }
      send(404, { message: `no route ${req.method} ${url.pathname}` });
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startUpstream(Number(process.env.PORT ?? 9001));
  console.log(`upstream listening on http://127.0.0.1:${server.address().port}`);
}

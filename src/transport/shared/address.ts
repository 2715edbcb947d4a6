/**
 * Bound addresses, shared by every listener (HTTP, gRPC, GraphQL, metrics). Listen
 * addresses are parsed by compile (compile/address.ts); listeners only bind them and
 * write back what the operating system gave.
 */
import type { AddressInfo, Server } from 'node:net';
import type { ListenAddress } from '../../compile/plan.js';

/** What server.address() reports, written back as host:port. */
export function formatBoundAddress(info: AddressInfo | string | null): string {
  if (info === null) return '';
  if (typeof info === 'string') return info;
  return info.family === 'IPv6' || info.address.includes(':')
    ? `[${info.address}]:${info.port}`
    : `${info.address}:${info.port}`;
}

/** `host:port` as grpc-js binds it (IPv6 in brackets). */
export function hostPort(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** Binds `server` to `address`; resolves with the bound address, rejects when the port is taken. */
export function bindServer(server: Server, address: ListenAddress): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve(formatBoundAddress(server.address()));
    });
  });
}

/** Stops accepting, closes idle keep-alive connections, resolves once the server is closed. */
export function closeServer(server: {
  closeIdleConnections(): void;
  close(callback: () => void): unknown;
}): Promise<void> {
  server.closeIdleConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

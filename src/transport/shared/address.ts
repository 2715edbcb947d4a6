/**
 * Bound addresses, shared by every listener (HTTP, gRPC, GraphQL, metrics). Listen
 * addresses are parsed by compile (compile/address.ts); listeners only bind them and
 * write back what the operating system gave.
 */
import type { AddressInfo } from 'node:net';
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

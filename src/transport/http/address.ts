/**
 * Listen addresses as Semaphore wrote them (Go's net.Listen syntax): ":8080" binds every
 * interface, "127.0.0.1:0" picks a free port, "[::1]:8080" is IPv6.
 */
import type { AddressInfo } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListenAddress(address: string): ListenAddress {
  const text = address.trim().replace(/^[a-z]+:\/\//i, '');
  const colon = text.lastIndexOf(':');
  const rawHost = colon < 0 ? '' : text.slice(0, colon);
  const rawPort = colon < 0 ? text : text.slice(colon + 1);
  const port = Number(rawPort);
  if (rawPort === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid listen address "${address}": expected host:port or :port`);
  }
  const host = rawHost.startsWith('[') && rawHost.endsWith(']') ? rawHost.slice(1, -1) : rawHost;
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** What server.address() reports, written back as host:port. */
export function formatBoundAddress(info: AddressInfo | string | null): string {
  if (info === null) return '';
  if (typeof info === 'string') return info;
  return info.family === 'IPv6' || info.address.includes(':') ? `[${info.address}]:${info.port}` : `${info.address}:${info.port}`;
}

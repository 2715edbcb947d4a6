/**
 * Listen addresses as Semaphore wrote them (Go's net.Listen syntax): ":8080" binds every
 * interface, "127.0.0.1:0" picks a free port, "[::1]:8080" is IPv6. Parsed once by
 * compile (or by the daemon for a command-line flag); listeners only bind the result.
 */

export interface ListenAddress {
  /** As written. */
  readonly text: string;
  /** Host to bind; '0.0.0.0' for ":port". */
  readonly host: string;
  readonly port: number;
}

// A DNS name, an IPv4 address or (inside brackets) an IPv6 address.
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?$/;

/** Returns the address, or a message saying what is wrong with it. */
export function parseListenAddress(address: string): ListenAddress | string {
  const text = address.trim().replace(/^[a-z]+:\/\//i, '');
  const colon = text.lastIndexOf(':');
  const rawHost = colon < 0 ? '' : text.slice(0, colon);
  const rawPort = colon < 0 ? text : text.slice(colon + 1);
  const expected = `invalid listen address "${address}": expected host:port or :port`;
  if (!/^\d{1,5}$/.test(rawPort)) return expected;
  const port = Number(rawPort);
  if (port > 65535) return `invalid listen address "${address}": port ${port} is beyond 65535`;
  if (rawHost.startsWith('[')) {
    if (!rawHost.endsWith(']') || !IPV6.test(rawHost.slice(1, -1))) return expected;
    return { text: address, host: rawHost.slice(1, -1), port };
  }
  if (rawHost !== '' && !HOSTNAME.test(rawHost))
    return `invalid listen address "${address}": "${rawHost}" is not a host name or IP address`;
  return { text: address, host: rawHost === '' ? '0.0.0.0' : rawHost, port };
}

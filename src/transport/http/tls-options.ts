/**
 * Socket options of upstream connections from a call's or a forward's `options { }`:
 * `insecure` (no certificate check), `ca_file` (trusted CAs, PEM) and `keep_alive` (TCP
 * keep-alive delay). Read once per pool or agent, when it is created.
 */
import { readFileSync } from 'node:fs';
import type { Pool } from 'undici';
import type { HttpCallOptions } from '../../compile/plan.js';

/** Socket options for `insecure`, `ca_file` and `keep_alive`; the file was checked by compile. */
export function connectOptions(transport: HttpCallOptions | undefined): Pool.Options['connect'] {
  if (!transport) return undefined;
  const out: Record<string, unknown> = {};
  if (transport.insecure) out.rejectUnauthorized = false;
  if (transport.caFile) out.ca = readFileSync(transport.caFile, 'utf8');
  if (transport.keepAliveMs !== undefined) {
    out.keepAlive = true;
    out.keepAliveInitialDelay = transport.keepAliveMs;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

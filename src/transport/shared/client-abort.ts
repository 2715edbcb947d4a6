/**
 * The client-abort signal every HTTP-based listener (flows, proxies, GraphQL) hands the
 * executor: aborted when the client goes away before the answer is written.
 *
 * One controller per client connection, shared by the requests it carries one after the
 * other: over HTTP/1.1 the client going away is the connection closing, and callers
 * remove their listeners when their call ends, so a connection closing between requests
 * aborts nothing. A new AbortController per request was a visible share of a one-call
 * flow's profile (notes/perf.md). Without a socket (HTTP/2 streams, injected requests),
 * `res` 'close' before `writableFinished` tells a dropped answer.
 *
 * With bounded shutdown's `stop` (flow/stop.ts), a connection's signal is linked to it once,
 * so that the grace period ending reaches the calls of its request without a controller
 * per request; the executor passes a linked signal to calls as it is.
 */
import type { ServerResponse } from 'node:http';
import type { FlowStop } from '../../flow/stop.js';

const connectionSignals = new WeakMap<object, AbortController>();

export function clientSignal(res: ServerResponse, stop?: FlowStop): AbortSignal {
  const socket = res.socket;
  if (socket && (res as { stream?: unknown }).stream === undefined) {
    let controller = connectionSignals.get(socket);
    if (!controller || controller.signal.aborted) {
      if (socket.destroyed) return AbortSignal.abort(); // gone already: 'close' has fired
      const created = new AbortController();
      controller = created;
      connectionSignals.set(socket, created);
      const unlink = stop?.link(created.signal, () => created.abort());
      socket.once('close', () => {
        unlink?.();
        created.abort();
      });
    }
    return controller.signal;
  }
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

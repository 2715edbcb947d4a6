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
 */
import type { ServerResponse } from 'node:http';

const connectionSignals = new WeakMap<object, AbortController>();

export function clientSignal(res: ServerResponse): AbortSignal {
  const socket = res.socket;
  if (socket && (res as { stream?: unknown }).stream === undefined) {
    let controller = connectionSignals.get(socket);
    if (!controller || controller.signal.aborted) {
      if (socket.destroyed) return AbortSignal.abort(); // gone already: 'close' has fired
      const created = new AbortController();
      controller = created;
      connectionSignals.set(socket, created);
      socket.once('close', () => created.abort());
    }
    return controller.signal;
  }
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

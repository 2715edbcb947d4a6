/**
 * The client-abort signal every HTTP-based listener (flows, proxies, GraphQL) hands the
 * executor: aborted when the client goes away before the answer is written. `res` 'close'
 * fires on both a finished reply and a dropped connection; `writableFinished` tells them
 * apart.
 */
import type { ServerResponse } from 'node:http';

export function clientSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

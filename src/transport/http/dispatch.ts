/**
 * One upstream HTTP exchange on undici's `dispatch`, the body collected into one Buffer.
 * undici's `request()` wraps every answer in a Readable stream and its own abort-signal
 * bookkeeping; for bodies we read whole anyway that was a tenth of a many-call flow's
 * CPU (notes/perf.md). Here the handler keeps the chunks, and the call's timeout and the
 * client's signal abort the exchange through undici's controller directly.
 *
 *   dispatch ─▶ onRequestStart (controller: abort) ─▶ onResponseStart (status, headers)
 *            ─▶ onResponseData × n ─▶ onResponseEnd ─▶ {status, headers, bytes}
 */
import type { Dispatcher } from 'undici';
import { watchAbort } from '../../shared/abort-watch.js';

export interface DispatchAnswer {
  status: number;
  /** As undici parsed them: lower-case names, arrays for repeated headers. */
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
}

export interface DispatchOptions {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: Uint8Array | string | undefined;
}

/** Rejection when the call's own timeout ended it (the caller turns it into a 504). */
export class DispatchTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs}ms`);
    this.name = 'DispatchTimeout';
  }
}

/** Rejection when the client's signal ended it. */
class DispatchAborted extends Error {
  constructor() {
    super('the client went away');
    this.name = 'DispatchAborted';
  }
}

class CollectingHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private stopped: Error | undefined;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private readonly chunks: Buffer[] = [];
  private length = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly unwatch: () => void;

  constructor(
    signal: AbortSignal,
    timeoutMs: number | undefined,
    /** The answer size cap (`max_response_size`) and the error that says it was passed. */
    private readonly cap: { bytes: number; error: () => Error } | undefined,
    private readonly resolve: (answer: DispatchAnswer) => void,
    private readonly reject: (error: Error) => void,
  ) {
    if (timeoutMs !== undefined) this.timer = setTimeout(() => this.stop(new DispatchTimeout(timeoutMs)), timeoutMs);
    this.unwatch = watchAbort(signal, () => this.stop(new DispatchAborted()));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Stopped while waiting for a pooled connection: end it as soon as it starts.
    if (this.stopped) controller.abort(this.stopped);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // 1xx: the final answer follows
    this.status = statusCode;
    this.headers = headers;
    // A declared length over the cap is refused before a byte of the body is read.
    const declared = headers['content-length'];
    if (this.cap && typeof declared === 'string' && Number(declared) > this.cap.bytes) this.stop(this.cap.error());
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.stopped) return;
    this.length += chunk.length;
    // Past the cap the exchange is aborted: the connection is dropped, nothing more is read.
    if (this.cap && this.length > this.cap.bytes) {
      this.chunks.length = 0;
      this.stop(this.cap.error());
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.cleanUp();
    if (this.stopped) {
      this.reject(this.stopped);
      return;
    }
    const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    this.resolve({ status: this.status, headers: this.headers, bytes });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.cleanUp();
    this.reject(this.stopped ?? error);
  }

  private stop(reason: Error): void {
    if (this.stopped) return;
    this.stopped = reason;
    this.controller?.abort(reason);
  }

  private cleanUp(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.unwatch();
  }
}

/** Sends one request on `dispatcher` and collects the whole answer. */
export function dispatchRequest(
  dispatcher: Dispatcher,
  options: DispatchOptions,
  signal: AbortSignal,
  timeoutMs: number | undefined,
  cap?: { bytes: number; error: () => Error },
): Promise<DispatchAnswer> {
  if (signal.aborted) return Promise.reject(new DispatchAborted());
  return new Promise((resolve, reject) => {
    const handler = new CollectingHandler(signal, timeoutMs, cap, resolve, reject);
    dispatcher.dispatch(
      {
        path: options.path,
        method: options.method as Dispatcher.HttpMethod,
        headers: options.headers,
        body: options.body ?? null,
      },
      handler,
    );
  });
}

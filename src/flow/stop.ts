/**
 * The process-wide "stop running flows" signal of bounded shutdown (daemon/shutdown.ts):
 * aborted once, when the grace period ends, it must reach every upstream call still in
 * flight without each request paying for an AbortController of its own.
 *
 *   HTTP connection ──link (once per connection)──▶ FlowStop ◀── shutdown: stop()
 *   client signal (per connection) ─────────────────▶ calls of every request on it
 *   any other signal (gRPC call, GraphQL, …) ─▶ the executor merges it with stop.signal
 *
 * A listener that hands out one client signal per connection links that signal here: on
 * stop() the listener aborts it, and the executor, seeing the signal covered, passes it to
 * calls as it is. A signal nobody linked gets one merged controller per run (executor.ts),
 * which the run builds anyway when the flow has a deadline.
 */
export class FlowStop {
  private readonly controller = new AbortController();
  private readonly hooks = new Set<() => void>();
  private readonly linked = new WeakSet<AbortSignal>();

  /** Aborted when stop() runs. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Ties `signal` to the stop: `abort` (which must abort `signal`) runs on stop(), at once
   * if it already ran. Returns the function that unties it (call it when `signal`'s
   * connection closes).
   */
  link(signal: AbortSignal, abort: () => void): () => void {
    if (this.controller.signal.aborted) {
      abort();
      return noop;
    }
    this.linked.add(signal);
    this.hooks.add(abort);
    return () => {
      this.hooks.delete(abort);
    };
  }

  /** Whether stop() aborts `signal` (a listener linked it). */
  covers(signal: AbortSignal): boolean {
    return this.linked.has(signal);
  }

  /** Aborts every linked signal and `signal`; later links abort at once. */
  stop(): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort();
    for (const hook of [...this.hooks]) hook();
    this.hooks.clear();
  }
}

function noop(): void {}

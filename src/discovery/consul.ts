/**
 * A service's instances from a Consul agent's health API, passing checks only, kept
 * current by blocking queries:
 *
 *   GET /v1/health/service/<name>?passing=true&index=<X-Consul-Index>&wait=30s
 *
 * Consul holds each query until the service's entries change (or `wait` passes), so a
 * change is known as soon as Consul knows it and reaches the next call. The watch starts
 * when the first call is prepared and stops when the caller closes. An empty catalog or
 * an unreachable agent makes calls fail with 503 and a message saying which.
 */
import { request } from 'undici';
import type { Logger } from 'pino';
import { CallError } from '../errors.js';
import type { Instance, Resolver } from './resolver.js';

export interface ConsulOptions {
  /** Blocking query wait, seconds (default 30). */
  waitSeconds?: number;
  /** Pause after a failed query before the next, ms (default 1000). */
  retryMs?: number;
  /** How long a call waits for the very first answer, ms (default 5000). */
  firstAnswerMs?: number;
  logger?: Logger;
}

/** Answers larger than this are refused: a catalog entry is a few hundred bytes. */
const MAX_ANSWER = 8 * 1024 * 1024;

export class ConsulResolver implements Resolver {
  private instances: Instance[] = [];
  private failure: string | undefined;
  /** Set once the first query has an outcome (answer or failure). */
  private settled = false;
  private turn = 0;
  private index = 0;
  private readonly controller = new AbortController();
  private answered!: () => void;
  private readonly firstAnswer = new Promise<void>((resolve) => (this.answered = resolve));
  private started = false;

  constructor(
    private readonly label: string,
    private readonly address: string,
    private readonly service: string,
    private readonly options: ConsulOptions = {},
  ) {}

  async next(signal: AbortSignal): Promise<Instance> {
    this.start();
    if (!this.settled) await this.waitFirst(signal);
    const list = this.instances;
    if (list.length === 0) {
      const why = this.failure
        ? `consul "${this.label}" is unreachable (${this.failure})`
        : this.settled
          ? `consul "${this.label}" lists no passing instance`
          : `consul "${this.label}" did not answer in time`;
      throw new CallError(`service discovery for "${this.service}" failed: ${why}`, 503, {
        code: 'MAESTRO_ERR_DISCOVERY',
      });
    }
    return list[this.turn++ % list.length]!;
  }

  close(): void {
    this.controller.abort();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    void this.watch();
  }

  private async waitFirst(signal: AbortSignal): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.firstAnswerMs ?? 5000)));
    const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([this.firstAnswer, timeout, aborted]);
    clearTimeout(timer);
  }

  private async watch(): Promise<void> {
    const wait = this.options.waitSeconds ?? 30;
    const signal = this.controller.signal;
    while (!signal.aborted) {
      const url = `${this.address}/v1/health/service/${encodeURIComponent(this.service)}?passing=true&index=${this.index}&wait=${wait}s`;
      try {
        const res = await request(url, { signal, headersTimeout: (wait + 15) * 1000, bodyTimeout: (wait + 15) * 1000 });
        if (res.statusCode !== 200) {
          await res.body.dump();
          throw new Error(`answered ${res.statusCode}`);
        }
        const text = await boundedText(res.body, MAX_ANSWER);
        this.instances = parseEntries(JSON.parse(text) as unknown);
        this.failure = undefined;
        // A new index means a change; one that goes backwards (agent restart) starts over.
        const index = Number(res.headers['x-consul-index']);
        const previous = this.index;
        this.index =
          Number.isSafeInteger(index) && index > previous ? index : index > 0 && index < previous ? 0 : previous;
        this.settle();
        // An answer without a newer index (the wait ran out, or a server that does not
        // block) is not asked again at once: no busy loop against a misbehaving agent.
        if (!(this.index > previous)) await pause(this.options.retryMs ?? 1000, signal);
      } catch (error) {
        if (signal.aborted) return;
        this.instances = [];
        this.failure = (error as Error).message || 'request failed';
        this.index = 0;
        this.options.logger?.warn({ discovery: this.label, service: this.service, err: error }, 'consul query failed');
        this.settle();
        await pause(this.options.retryMs ?? 1000, signal);
      }
    }
  }

  private settle(): void {
    this.settled = true;
    this.answered();
  }
}

/** `[{Node: {Address}, Service: {Address, Port}}]` → instances (service address first). */
function parseEntries(value: unknown): Instance[] {
  if (!Array.isArray(value)) throw new Error('answer is not a list');
  const out: Instance[] = [];
  for (const entry of value) {
    if (entry === null || typeof entry !== 'object') continue;
    const { Node: node, Service: service } = entry as {
      Node?: { Address?: unknown };
      Service?: { Address?: unknown; Port?: unknown };
    };
    const host = typeof service?.Address === 'string' && service.Address !== '' ? service.Address : node?.Address;
    const port = service?.Port;
    if (
      typeof host === 'string' &&
      host !== '' &&
      typeof port === 'number' &&
      Number.isInteger(port) &&
      port > 0 &&
      port < 65536
    )
      out.push({ host, port });
  }
  return out;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** The body as text, refusing (and dropping the connection) beyond `limit` bytes. */
async function boundedText(body: AsyncIterable<Buffer> & { destroy(): unknown }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new Error('answer too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

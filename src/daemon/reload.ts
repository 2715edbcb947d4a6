/**
 * The running configuration and its replacement. `activate(plan)` builds a generation
 * beside the current one, binds any listener whose address (or TLS, or limits) changed,
 * then swaps the one reference every slot reads:
 *
 *   slots (ports) ──current──▶ generation N+1      generation N: retires in the background
 *                                                  (flows in flight, then rollbacks, then apps)
 *
 * `reload()` loads and compiles the files again first; any error keeps generation N
 * serving, is logged with its position, and counted. Reloads run one at a time.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Plan } from '../compile/plan.js';
import { formatDiagnostic } from '../errors.js';
import type { Spec } from '../spec/types.js';
import { buildGeneration, type AppPart, type Generation, type GenerationContext } from './generation.js';
import type { GrpcSlot } from './grpc-slot.js';
import { loadPlan, type LoadPlanOptions } from './load.js';
import { createServerSlot, type ServerSlot } from './server-slot.js';

export interface ReloadRecord {
  at: string;
  /** What asked for it: `start`, `SIGHUP`, `watch`, `api`. */
  reason: string;
  result: 'success' | 'failure';
  generation?: number;
  /** Positioned messages, as written in the files (never after `$VAR` expansion). */
  errors?: string[];
}

export interface LoadedFile {
  path: string;
  sha256: string;
}

/** How many reloads /config remembers. */
const HISTORY = 50;

export class Runtime {
  current: Generation | undefined;
  readonly addresses: Record<string, string> = {};
  readonly history: ReloadRecord[] = [];
  files: LoadedFile[] = [];
  private readonly slots: { http?: ServerSlot; graphql?: ServerSlot; grpc?: GrpcSlot } = {};
  private nextId = 0;
  private incoming: Generation | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly background = new Set<Promise<unknown>>();
  closed = false;

  constructor(
    private readonly context: GenerationContext,
    private readonly load: LoadPlanOptions,
    private readonly logger: Logger,
    private readonly onPlan: (plan: Plan, generation: Generation) => void = () => {},
  ) {
    // Both series exist from the start, at zero, so a rate() over them is defined.
    for (const result of ['success', 'failure']) context.metrics.reloads.create([['result', result]]);
  }

  /** Every listener is bound and a configuration is serving. */
  get serving(): boolean {
    return this.current !== undefined && !this.closed;
  }

  /** Serves `plan` from now on; throws (and keeps the current one) if it cannot be served. */
  async activate(plan: Plan, spec: Spec | undefined): Promise<Generation> {
    const generation = await buildGeneration(++this.nextId, plan, spec, this.context);
    // What a slot opened for this generation serves until the swap (only then does
    // `current` point at it); cleared after, so no slot keeps an old generation alive.
    this.incoming = generation;
    const opened: Array<ServerSlot | GrpcSlot> = [];
    const next: Runtime['slots'] = {};
    const bound: Record<string, string> = {};
    try {
      for (const kind of ['http', 'graphql'] as const) {
        const part: AppPart | undefined = generation[kind];
        if (!part) continue;
        const old = this.slots[kind];
        if (old && old.key === part.key) {
          next[kind] = old;
          continue;
        }
        const slot = createServerSlot({
          address: part.address,
          key: part.key,
          tls: part.tls,
          current: () => this.current?.[kind] ?? this.incoming?.[kind],
        });
        opened.push(slot);
        bound[kind] = await slot.listen();
        next[kind] = slot;
      }
      const grpc = generation.grpc;
      if (grpc) {
        const old = this.slots.grpc;
        if (old && old.key === grpc.key) next.grpc = old;
        else {
          // The gRPC listener's modules are loaded only by a configuration with gRPC endpoints.
          const { createGrpcSlot } = await import('./grpc-slot.js');
          const slot = createGrpcSlot(
            grpc,
            () => this.current?.grpc?.routes ?? this.incoming?.grpc?.routes,
            this.logger,
          );
          opened.push(slot);
          slot.adopt(grpc.routes);
          bound.grpc = await slot.listen();
          next.grpc = slot;
        }
      }
    } catch (error) {
      this.incoming = undefined;
      await Promise.allSettled(opened.map((slot) => slot.close(0)));
      await generation.retire();
      throw error;
    }

    const files = spec ? await digests(spec, plan) : undefined;
    // The swap: from here on every new request is dispatched to the new generation.
    const previous = this.current;
    this.current = generation;
    this.incoming = undefined;
    next.grpc?.adopt(generation.grpc!.routes);
    for (const kind of ['http', 'graphql', 'grpc'] as const) {
      const old = this.slots[kind];
      if (old && old !== next[kind]) {
        delete this.addresses[kind];
        this.track(old.close());
      }
    }
    Object.assign(this.slots, { http: next.http, graphql: next.graphql, grpc: next.grpc });
    Object.assign(this.addresses, bound);
    if (previous) this.track(previous.retire());
    if (files) this.files = files;
    this.onPlan(plan, generation);
    return generation;
  }

  /** Loads, compiles and activates the files again; never throws. */
  reload(reason: string): Promise<ReloadRecord> {
    const run = this.queue.then(() => this.reloadNow(reason));
    this.queue = run.catch(() => {});
    return run;
  }

  private async reloadNow(reason: string): Promise<ReloadRecord> {
    const at = new Date().toISOString();
    const started = performance.now();
    if (this.closed) return { at, reason, result: 'failure', errors: ['the daemon is shutting down'] };
    let record: ReloadRecord;
    try {
      const { plan, spec, diagnostics } = await loadPlan({ ...this.load, fresh: `${Date.now()}-${this.nextId + 1}` });
      for (const warning of diagnostics.warnings) this.logger.warn(formatDiagnostic(warning));
      if (!plan) {
        const errors = diagnostics.errors.map(formatDiagnostic);
        for (const message of errors) this.logger.error({ reason }, message);
        record = { at, reason, result: 'failure', errors };
      } else {
        const generation = await this.activate(plan, spec);
        record = { at, reason, result: 'success', generation: generation.id };
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error({ reason, err: error }, `reload: ${message}`);
      record = { at, reason, result: 'failure', errors: [message] };
    }
    this.remember(record);
    const ms = Math.round(performance.now() - started);
    if (record.result === 'success') {
      const plan = this.current!.plan;
      this.logger.info(
        {
          reason,
          generation: record.generation,
          flows: plan.flows.length,
          endpoints: plan.endpoints.length,
          addresses: this.addresses,
          ms,
        },
        'configuration reloaded',
      );
    } else {
      this.logger.error(
        { reason, errors: record.errors?.length ?? 0, ms },
        'configuration reload failed; the previous configuration keeps serving',
      );
    }
    return record;
  }

  remember(record: ReloadRecord): void {
    this.history.push(record);
    if (this.history.length > HISTORY) this.history.shift();
    // The first load is not a reload; it is in the history so /config tells the whole story.
    if (record.reason !== 'start') this.context.metrics.reloads.create([['result', record.result]]).inc();
  }

  /** Closes every port, then waits for every generation's flows and rollbacks. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await Promise.allSettled(Object.values(this.slots).map((slot) => slot?.close()));
    await this.current?.retire();
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private track(work: Promise<unknown>): void {
    const settled = work.catch((error: unknown) =>
      this.logger.error({ err: error }, 'retiring a configuration failed'),
    );
    this.background.add(settled);
    void settled.finally(() => this.background.delete(settled));
  }
}

/** The files a configuration read, with a digest each (for /config and the watcher). */
async function digests(spec: Spec, plan: Plan): Promise<LoadedFile[]> {
  const paths = [...new Set([...spec.files, ...plan.schemas.files, ...spec.functions.map((f) => f.value)])];
  const out: LoadedFile[] = [];
  for (const path of paths) {
    try {
      out.push({
        path,
        sha256: createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
      });
    } catch {
      out.push({ path, sha256: '' });
    }
  }
  return out;
}

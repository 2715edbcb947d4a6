/**
 * Prometheus metrics, hand-written in the text exposition format 0.0.4. Every series is
 * a small object whose label string is built once, when it is made (at start, or the
 * first time a status is seen); the request path only bumps numbers:
 *
 *   # HELP maestro_requests_total Flow requests answered.
 *   # TYPE maestro_requests_total counter
 *   maestro_requests_total{flow="order",protocol="http",status="200"} 3
 */

/** Seconds; Prometheus' default buckets (+Inf is implied). */
export const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The content type of the text format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = ReadonlyArray<readonly [name: string, value: string]>;

/** A label value as the format wants it: `\`, `"` and line feeds escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text escapes only `\` and line feeds. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** `a="x",b="y"`: the inside of the braces, escaped. */
export function formatLabels(labels: Labels): string {
  return labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',');
}

/** A float as Prometheus writes it. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export class Counter {
  value = 0;
  /** @param labels the inside of the braces, already escaped */
  constructor(readonly labels: string) {}
  inc(): void {
    this.value++;
  }
}

export class Histogram {
  /** Per bucket, not cumulative (summed when rendered); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

abstract class Family<T extends { labels: string }> {
  protected readonly series: T[] = [];
  /** By label string: a reloaded configuration gets the series (and counts) it had. */
  private readonly byLabels = new Map<string, T>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly type: 'counter' | 'histogram' | 'gauge',
  ) {}
  /** The series of `labels`, made the first time (the caller keeps it). */
  abstract create(labels: Labels): T;
  protected remember(labels: Labels, make: (text: string) => T): T {
    const text = formatLabels(labels);
    let series = this.byLabels.get(text);
    if (!series) {
      series = make(text);
      this.byLabels.set(text, series);
      this.series.push(series);
    }
    return series;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    for (const s of this.series) this.renderSeries(s, out);
  }
  protected abstract renderSeries(series: T, out: string[]): void;
}

export class CounterFamily extends Family<Counter> {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  create(labels: Labels): Counter {
    return this.remember(labels, (text) => new Counter(text));
  }
  /** Series of `labels` plus a `status` label, made per status on first use. */
  statusCounters(labels: Labels): StatusCounters {
    return new StatusCounters(this, labels);
  }
  protected renderSeries(c: Counter, out: string[]): void {
    out.push(`${this.name}${c.labels === '' ? '' : `{${c.labels}}`} ${formatValue(c.value)}`);
  }
}

export class HistogramFamily extends Family<Histogram> {
  private readonly le: string[];
  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[] = DURATION_BUCKETS,
  ) {
    super(name, help, 'histogram');
    this.le = [...bounds.map(formatValue), '+Inf'];
  }
  create(labels: Labels): Histogram {
    return this.remember(labels, (text) => new Histogram(text, this.bounds));
  }
  protected renderSeries(h: Histogram, out: string[]): void {
    const prefix = h.labels === '' ? '' : `${h.labels},`;
    const braces = h.labels === '' ? '' : `{${h.labels}}`;
    let cumulative = 0;
    for (let i = 0; i < this.le.length; i++) {
      cumulative += h.counts[i]!;
      out.push(`${this.name}_bucket{${prefix}le="${this.le[i]!}"} ${cumulative}`);
    }
    out.push(`${this.name}_sum${braces} ${formatValue(h.sum)}`, `${this.name}_count${braces} ${h.count}`);
  }
}

/** A value that goes up and down (flows in flight). */
export class Gauge {
  value = 0;
  constructor(readonly labels: string) {}
  inc(): void {
    this.value++;
  }
  dec(): void {
    this.value--;
  }
}

/**
 * Gauges of two kinds, rendered together under one HELP/TYPE: series made with `create`
 * and moved with inc/dec (flows in flight), and series read at render time from `read`
 * sources (journal records, breaker states).
 */
export class GaugeFamily extends Family<Gauge> {
  private readers: Array<() => Array<[Labels, number]>> = [];
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  create(labels: Labels): Gauge {
    return this.remember(labels, (text) => new Gauge(text));
  }
  /** Adds a source of series, read at every render; the returned function removes it. */
  read(reader: () => Array<[Labels, number]>): () => void {
    this.readers.push(reader);
    return () => {
      this.readers = this.readers.filter((r) => r !== reader);
    };
  }
  override render(out: string[]): void {
    super.render(out);
    for (const reader of this.readers) {
      for (const [labels, value] of reader()) {
        const text = formatLabels(labels);
        out.push(`${this.name}${text === '' ? '' : `{${text}}`} ${formatValue(value)}`);
      }
    }
  }
  protected renderSeries(g: Gauge, out: string[]): void {
    out.push(`${this.name}${g.labels === '' ? '' : `{${g.labels}}`} ${formatValue(g.value)}`);
  }
}

/**
 * Counters of one label set that differ only by status: one series per status, made
 * (and its label string built) the first time that status is seen.
 */
export class StatusCounters {
  private readonly byStatus = new Map<number, Counter>();
  constructor(
    private readonly family: CounterFamily,
    private readonly labels: Labels,
  ) {}
  inc(status: number): void {
    let counter = this.byStatus.get(status);
    if (!counter) {
      counter = this.family.create([...this.labels, ['status', String(status)]]);
      this.byStatus.set(status, counter);
    }
    counter.value++;
  }
}

/**
 * Maestro's metric families; `render()` is the body of GET /metrics. The request path
 * only bumps the hand-written series above (a measured choice: see notes/ops.md);
 * process and runtime figures come from prom-client's default collectors, rendered after.
 */
export class Metrics {
  readonly requests = new CounterFamily(
    'maestro_requests_total',
    'Flow requests answered, by flow, protocol and status.',
  );
  readonly requestDuration = new HistogramFamily(
    'maestro_request_duration_seconds',
    'Time to run a flow request, in seconds.',
  );
  readonly upstreamCalls = new CounterFamily(
    'maestro_upstream_calls_total',
    'Upstream calls (rollbacks included), by service, method and status.',
  );
  readonly upstreamDuration = new HistogramFamily(
    'maestro_upstream_call_duration_seconds',
    'Time of one upstream call, in seconds.',
  );
  readonly rollbacks = new CounterFamily(
    'maestro_rollbacks_total',
    'Rollbacks run, by flow, resource and outcome (ok or failed).',
  );
  readonly flowErrors = new CounterFamily(
    'maestro_flow_errors_total',
    'Flow requests answered with an error, by flow and status.',
  );
  readonly inflight = new GaugeFamily('maestro_flows_in_flight', 'Flow requests running now, by flow.');
  readonly proxyRequests = new CounterFamily(
    'maestro_proxy_requests_total',
    "Proxied requests, by flow and the status answered (the upstream's, or the gateway's own when it could not forward).",
  );
  readonly proxyDuration = new HistogramFamily(
    'maestro_proxy_request_duration_seconds',
    'Time to the end of a proxied answer, in seconds.',
  );
  readonly reloads = new CounterFamily(
    'maestro_config_reloads_total',
    'Configuration reloads, by result (success or failure).',
  );
  readonly journalPending = new GaugeFamily(
    'maestro_journal_pending',
    'Journal records this instance holds open: flows with rollbacks in flight or compensations not yet done.',
  );
  readonly breakerState = new GaugeFamily(
    'maestro_breaker_state',
    'Circuit breaker of each upstream service: 0 closed, 1 open, 2 half-open.',
  );
  /** Extra collectors rendered after Maestro's own (prom-client's process metrics). */
  private readonly extra: Array<() => Promise<string>> = [];

  /** Adds text rendered after Maestro's families (a prom-client registry's `metrics()`). */
  addCollector(render: () => Promise<string>): void {
    this.extra.push(render);
  }

  render(): string {
    const out: string[] = [];
    for (const family of [
      this.requests,
      this.requestDuration,
      this.upstreamCalls,
      this.upstreamDuration,
      this.rollbacks,
      this.flowErrors,
      this.inflight,
      this.proxyRequests,
      this.proxyDuration,
      this.reloads,
      this.journalPending,
      this.breakerState,
    ])
      family.render(out);
    return `${out.join('\n')}\n`;
  }

  /** Maestro's families, then every added collector. */
  async renderAll(): Promise<string> {
    const parts = [this.render()];
    for (const render of this.extra) parts.push(await render());
    return parts.join('');
  }
}

/**
 * OpenTelemetry tracing, loaded only when it is on (`telemetry { otlp }`, or the standard
 * OTEL_* variables): the SDK costs start-up time and memory nobody should pay for spans
 * they do not export. When it is off nothing here is imported and no wrapper is
 * installed, so the request path is the same code as without tracing.
 *
 *   incoming traceparent ─▶ server span (flow) ─┬─▶ client span per upstream call ─▶ traceparent out
 *                                               └─▶ rollback span per rollback call
 *
 * Server spans wrap a listener's FlowRunner; client spans wrap each prepared call, so
 * they nest through the async context. A proxy's forward carries the server span's
 * traceparent (it goes into the flow's forward headers).
 */
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import type { CallPlan, FlowPlan, PreparedCall } from '../compile/plan.js';
import { CallError } from '../errors.js';
import type { FlowRequest, FlowResult } from '../flow/types.js';
import type { FlowRunner } from '../transport/listener.js';

export interface TracingOptions {
  /** Where spans go over OTLP/HTTP (`http://collector:4318`); else the OTEL_* variables decide. */
  otlp?: string;
  /** Spans go here instead, synchronously (tests: the SDK's InMemorySpanExporter). */
  exporter?: SpanExporter;
  serviceName?: string;
}

export interface Tracing {
  /** Server span per request around `runner`. */
  serve(runner: FlowRunner, protocol: string): FlowRunner;
  /** Client span per call (a rollback span when `rollbackOf` names the resource). */
  call(invoke: PreparedCall, call: CallPlan, rollbackOf?: string): PreparedCall;
  /** The trace id of the request whose header map this is, while it is being served. */
  traceIdOf(headers: object): string | undefined;
  /** Log line fields of the active span. */
  mixin(): Record<string, string>;
  /** Exports what is pending, then stops. */
  close(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();
let registered = false;

export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(await otlpExporter(options.otlp));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'maestro',
    }),
    spanProcessors: [processor],
  });
  // The context manager is process-wide (AsyncLocalStorage); spans come from this provider.
  if (!registered) {
    provider.register();
    registered = true;
  }
  const tracer: Tracer = provider.getTracer('maestro');
  const traceIds = new WeakMap<object, string>();

  return {
    serve: (runner, protocol) => serveWithSpans(runner, protocol, tracer, traceIds),
    call: (invoke, call, rollbackOf) => callWithSpan(invoke, call, tracer, rollbackOf),
    traceIdOf: (headers) => traceIds.get(headers),
    mixin(): Record<string, string> {
      const span = trace.getActiveSpan();
      // A new object each time: pino merges the line's own fields into it.
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { traceId, spanId };
    },
    close: () => provider.shutdown(),
  };
}

/** The OTLP/HTTP exporter: to `otlp` (its /v1/traces path added), else where OTEL_* say. */
async function otlpExporter(otlp: string | undefined): Promise<SpanExporter> {
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  if (otlp === undefined) return new OTLPTraceExporter();
  const base = otlp.replace(/\/+$/, '');
  return new OTLPTraceExporter({ url: base.endsWith('/v1/traces') ? base : `${base}/v1/traces` });
}

function serveWithSpans(
  runner: FlowRunner,
  protocol: string,
  tracer: Tracer,
  traceIds: WeakMap<object, string>,
): FlowRunner {
  const names = new Map<FlowPlan, string>();
  const nameOf = (flow: FlowPlan): string => {
    let name = names.get(flow);
    if (name === undefined) names.set(flow, (name = `${protocol} ${flow.name}`));
    return name;
  };
  return {
    async run(flow: FlowPlan, request: FlowRequest): Promise<FlowResult> {
      const parent = propagator.extract(ROOT_CONTEXT, request.header, defaultTextMapGetter);
      const span = tracer.startSpan(
        nameOf(flow),
        {
          kind: SpanKind.SERVER,
          attributes: {
            'maestro.flow': flow.name,
            'maestro.protocol': protocol,
            'maestro.request_id': request.requestId,
          },
        },
        parent,
      );
      traceIds.set(request.header, span.spanContext().traceId);
      const active = trace.setSpan(parent, span);
      try {
        const result = await context.with(active, () => runner.run(flow, request));
        if (!result.ok) {
          span.setAttribute('maestro.status', result.status);
          span.setStatus({ code: SpanStatusCode.ERROR, message: result.message });
          return result;
        }
        if (flow.kind !== 'proxy') return result;
        // The forward is the next hop of this trace: it carries this span as its parent.
        const header = { ...result.header };
        propagator.inject(active, header, defaultTextMapSetter);
        return { ...result, header };
      } catch (error) {
        failed(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
    reject: (flow, request, status, message) => runner.reject(flow, request, status, message),
  };
}

function callWithSpan(
  invoke: PreparedCall,
  call: CallPlan,
  tracer: Tracer,
  rollbackOf: string | undefined,
): PreparedCall {
  const service = call.service.fullName;
  const method = call.method.name;
  const name = rollbackOf === undefined ? `${service}/${method}` : `rollback ${rollbackOf}`;
  const attributes = {
    'rpc.service': service,
    'rpc.method': method,
    'maestro.transport': call.service.transport,
    ...(rollbackOf === undefined ? {} : { 'maestro.rollback': rollbackOf }),
  };
  return async function tracedCall(out, signal) {
    const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
    propagator.inject(trace.setSpan(context.active(), span), out.headers, defaultTextMapSetter);
    try {
      const result = await invoke(out, signal);
      span.setAttribute('maestro.status', result.status);
      if (result.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
      return result;
    } catch (error) {
      if (error instanceof CallError) span.setAttribute('maestro.status', error.status);
      failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  };
}

function failed(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

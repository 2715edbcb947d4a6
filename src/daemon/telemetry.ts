/**
 * Whether tracing is on, decided before anything of OpenTelemetry is imported: a
 * `telemetry { otlp }` block, or the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_TRACES_EXPORTER); OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none turn it off.
 */
export function tracingWanted(env: NodeJS.ProcessEnv, otlp: string | undefined): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  if (otlp) return true;
  if (env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_TRACES_EXPORTER);
}

/**
 * Hardening settings (issue #8) read once, with positions: the HTTP listener's extra
 * timeouts and decoder limits, the `upstream { }` defaults, and the timeout and answer
 * size cap of each upstream call, resolved here so that every call has both:
 *
 *   timeout:           call options → method options → service → upstream { } → 30 s
 *   max_response_size: call options → method options → service → upstream { } → 10 MB
 */
import { DEFAULT_LIMITS, type DecodeLimits } from '../codec/limits.js';
import type { Diagnostics } from '../errors.js';
import type { CallSpec, HclValue, HttpListenerSpec, Positioned, UpstreamSpec } from '../spec/types.js';
import { parseDuration, parseSize } from './duration.js';
import type { MethodPlan, ServicePlan } from './plan.js';

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

export interface UpstreamDefaults {
  timeoutMs: number;
  maxResponseBytes: number;
}

/** A duration above zero, or undefined after a positioned error. */
export function positiveDuration(
  v: Positioned<HclValue> | undefined,
  name: string,
  diagnostics: Diagnostics,
): number | undefined {
  if (!v || v.value === '') return undefined;
  const ms = parseDuration(v.value);
  if (ms === undefined || ms <= 0) {
    diagnostics.error(
      'MAESTRO_ERR_DURATION',
      v.pos,
      `invalid ${name} "${String(v.value)}"; write a duration above zero, e.g. "2s" or "500ms"`,
    );
    return undefined;
  }
  return ms;
}

/** A byte size above zero ("10MB", "512kb", a number of bytes), or undefined after a positioned error. */
export function positiveSize(
  v: Positioned<HclValue> | undefined,
  name: string,
  diagnostics: Diagnostics,
): number | undefined {
  if (!v || v.value === '') return undefined;
  const bytes = parseSize(v.value);
  if (bytes === undefined || bytes <= 0) {
    diagnostics.error(
      'MAESTRO_ERR_SIZE',
      v.pos,
      `invalid ${name} "${String(v.value)}"; write a size above zero, e.g. "10MB", "512KB" or a number of bytes`,
    );
    return undefined;
  }
  return bytes;
}

function positiveCount(
  v: Positioned<HclValue> | undefined,
  name: string,
  diagnostics: Diagnostics,
): number | undefined {
  if (!v) return undefined;
  const n =
    typeof v.value === 'number'
      ? v.value
      : typeof v.value === 'string' && /^\s*\d+\s*$/.test(v.value)
        ? Number(v.value)
        : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    diagnostics.error(
      'MAESTRO_ERR_LIMIT',
      v.pos,
      `invalid ${name} "${String(v.value)}"; write a whole number above zero`,
    );
    return undefined;
  }
  return n;
}

/** The listener's header and idle timeouts and decoder limits from `http { }`. */
export function compileListenerLimits(
  http: HttpListenerSpec,
  diagnostics: Diagnostics,
): { headerTimeoutMs?: number; idleTimeoutMs?: number; limits: DecodeLimits } {
  return {
    headerTimeoutMs: positiveDuration(http.headerTimeout, 'header_timeout', diagnostics),
    idleTimeoutMs: positiveDuration(http.idleTimeout, 'idle_timeout', diagnostics),
    limits: {
      maxFields: positiveCount(http.maxFields, 'max_fields', diagnostics) ?? DEFAULT_LIMITS.maxFields,
      maxArrayIndex: positiveCount(http.maxArrayIndex, 'max_array_index', diagnostics) ?? DEFAULT_LIMITS.maxArrayIndex,
      maxDepth: positiveCount(http.maxDepth, 'max_depth', diagnostics) ?? DEFAULT_LIMITS.maxDepth,
    },
  };
}

/** `upstream { timeout  max_response_size }`: what a call gets when nothing nearer sets it. */
export function compileUpstreamDefaults(
  upstream: UpstreamSpec | undefined,
  diagnostics: Diagnostics,
): UpstreamDefaults {
  return {
    timeoutMs: positiveDuration(upstream?.timeout, 'timeout', diagnostics) ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
    maxResponseBytes:
      positiveSize(upstream?.maxResponseSize, 'max_response_size', diagnostics) ?? DEFAULT_MAX_RESPONSE_BYTES,
  };
}

/**
 * The timeout and answer size cap of one call, nearest setting first. A call's own
 * `options` are reported with their position; method options were checked with the
 * service (`MethodPlan.timeoutMs`), so an invalid one there only falls through here.
 */
export function resolveCallLimits(
  call: CallSpec,
  method: MethodPlan,
  service: ServicePlan,
  upstream: UpstreamDefaults | undefined,
  diagnostics: Diagnostics,
): UpstreamDefaults {
  const methodSize = parseSize(method.options.max_response_size);
  return {
    timeoutMs:
      positiveDuration(call.options.timeout, 'timeout', diagnostics) ??
      method.timeoutMs ??
      service.timeoutMs ??
      upstream?.timeoutMs ??
      DEFAULT_UPSTREAM_TIMEOUT_MS,
    maxResponseBytes:
      positiveSize(call.options.max_response_size, 'max_response_size', diagnostics) ??
      (methodSize !== undefined && methodSize > 0 ? methodSize : undefined) ??
      service.maxResponseBytes ??
      upstream?.maxResponseBytes ??
      DEFAULT_MAX_RESPONSE_BYTES,
  };
}

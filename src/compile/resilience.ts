/**
 * Compiles the resilience blocks: retry policies, circuit breakers, flow deadlines and the
 * rollback journal. Durations become milliseconds here, once, and every bad value is a
 * diagnostic with its position.
 *
 * Which retry policy a call gets, nearest first:
 *
 *   request/rollback { retry {} } ─▶ resource { retry {} } (requests only)
 *     ─▶ service method { retry {} } ─▶ service { retry {} } ─▶ rollbacks: ROLLBACK_RETRY
 *
 * A POST or PATCH request is retried only when the flow's own retry block says
 * `idempotent = true`; it then carries an Idempotency-Key. Rollbacks are always retried.
 */
import type { Diagnostics } from '../errors.js';
import type { BreakerSpec, FlowSpec, JournalSpec, Positioned, RetrySpec, Spec } from '../spec/types.js';
import { parseDuration } from './duration.js';
import type { BreakerPlan, CallPlan, JournalPlan, MethodPlan, RetryPlan, ServicePlan } from './plan.js';

/** What every rollback gets when nothing closer says otherwise. */
export const ROLLBACK_RETRY: RetryPlan = { attempts: 5, backoffMs: 200, maxBackoffMs: 5_000, keyed: false };
const RETRY_DEFAULT = { attempts: 3, backoffMs: 100, maxBackoffMs: 2_000 };
const BREAKER_DEFAULT: BreakerPlan = { failures: 5, coolDownMs: 10_000 };
const MAX_ATTEMPTS = 20;
export const DEFAULT_JOURNAL_PATH = './maestro-data/journal.db';
export const DEFAULT_LEASE_MS = 15_000;
const NON_IDEMPOTENT = new Set(['POST', 'PATCH']);

function duration(v: Positioned<string> | undefined, fallback: number, what: string, diagnostics: Diagnostics): number {
  if (!v) return fallback;
  const ms = parseDuration(v.value);
  if (ms === undefined) {
    diagnostics.error('MAESTRO_ERR_DURATION', v.pos, `invalid ${what} "${v.value}"; write e.g. "100ms" or "2s"`);
    return fallback;
  }
  return ms;
}

export function compileRetry(spec: RetrySpec, diagnostics: Diagnostics, keyed = false): RetryPlan {
  const attempts = spec.attempts?.value ?? RETRY_DEFAULT.attempts;
  if (spec.attempts && (attempts < 1 || attempts > MAX_ATTEMPTS)) {
    diagnostics.error(
      'MAESTRO_ERR_RETRY',
      spec.attempts.pos,
      `retry attempts must be between 1 and ${MAX_ATTEMPTS}, got ${attempts}`,
    );
  }
  const backoffMs = duration(spec.backoff, RETRY_DEFAULT.backoffMs, 'backoff', diagnostics);
  const maxBackoffMs = duration(
    spec.maxBackoff,
    Math.max(RETRY_DEFAULT.maxBackoffMs, backoffMs),
    'max_backoff',
    diagnostics,
  );
  if (spec.maxBackoff && maxBackoffMs < backoffMs) {
    diagnostics.error(
      'MAESTRO_ERR_RETRY',
      spec.maxBackoff.pos,
      `max_backoff (${spec.maxBackoff.value}) is shorter than backoff`,
    );
  }
  return { attempts: Math.min(Math.max(attempts, 1), MAX_ATTEMPTS), backoffMs, maxBackoffMs, keyed };
}

export function compileBreaker(spec: BreakerSpec, diagnostics: Diagnostics): BreakerPlan {
  const failures = spec.failures?.value ?? BREAKER_DEFAULT.failures;
  if (spec.failures && failures < 1)
    diagnostics.error('MAESTRO_ERR_BREAKER', spec.failures.pos, `breaker failures must be 1 or more, got ${failures}`);
  return {
    failures: Math.max(failures, 1),
    coolDownMs: duration(spec.coolDown, BREAKER_DEFAULT.coolDownMs, 'cool_down', diagnostics),
  };
}

/** Adds `retry`/`breaker` of service blocks (and their methods) to the compiled services. */
export function applyServiceResilience(
  spec: Spec,
  services: ReadonlyMap<string, ServicePlan>,
  diagnostics: Diagnostics,
): void {
  // Filled in before compile freezes the plan (compile/freeze.ts).
  type Writable = { retry?: RetryPlan; breaker?: BreakerPlan };
  for (const block of spec.services) {
    const service = services.get(block.fullName) as (ServicePlan & Writable) | undefined;
    if (!service) continue;
    if (block.retry) service.retry = serviceRetry(block.retry, diagnostics);
    if (block.breaker) service.breaker = compileBreaker(block.breaker, diagnostics);
    for (const m of block.methods) {
      const method = service.methods.get(m.name) as (MethodPlan & Writable) | undefined;
      if (method && m.retry) method.retry = serviceRetry(m.retry, diagnostics);
    }
  }
}

function serviceRetry(spec: RetrySpec, diagnostics: Diagnostics): RetryPlan {
  if (spec.idempotent) {
    diagnostics.error(
      'MAESTRO_ERR_RETRY',
      spec.idempotent.pos,
      'idempotent belongs in the flow (a resource, request or rollback retry block), not in a service',
    );
  }
  return compileRetry(spec, diagnostics);
}

/** The HTTP verb a call goes out with, as the HTTP caller picks it; gRPC calls have none. */
function verbOf(call: CallPlan): string | undefined {
  if (call.service.transport !== 'http') return undefined;
  return (
    call.method.httpMethod?.toUpperCase() ||
    (call.method.requestType !== undefined || call.body !== undefined ? 'POST' : 'GET')
  );
}

/**
 * The retry policy of a request (`own`: its request's or its resource's retry block),
 * or undefined for one attempt.
 */
export function requestRetry(
  call: CallPlan,
  own: RetrySpec | undefined,
  diagnostics: Diagnostics,
): RetryPlan | undefined {
  const verb = verbOf(call);
  const unsafe = verb !== undefined && NON_IDEMPOTENT.has(verb);
  if (own) {
    const declared = own.idempotent?.value === true;
    if (unsafe && !declared) {
      diagnostics.warn(
        'MAESTRO_WARN_RETRY_UNSAFE',
        own.pos,
        `${verb} ${call.service.fullName}.${call.method.name} is not retried: add idempotent = true to this retry block if the upstream may see it twice (it then carries an Idempotency-Key)`,
      );
      return undefined;
    }
    return compileRetry(own, diagnostics, unsafe);
  }
  const inherited = call.method.retry ?? call.service.retry;
  return inherited && !unsafe ? inherited : undefined;
}

/** Rollbacks are retried whatever their verb; a POST/PATCH one carries an Idempotency-Key. */
export function rollbackRetry(call: CallPlan, own: RetrySpec | undefined, diagnostics: Diagnostics): RetryPlan {
  const verb = verbOf(call);
  const keyed = verb !== undefined && NON_IDEMPOTENT.has(verb);
  const base = own ? compileRetry(own, diagnostics) : (call.method.retry ?? call.service.retry ?? ROLLBACK_RETRY);
  return { ...base, keyed };
}

/**
 * The flow's own `timeout`, else the global `flow_timeout`; undefined: no deadline. An
 * empty value (an unset `$VAR`) counts as not written.
 */
export function flowTimeout(flow: FlowSpec, spec: Spec, diagnostics: Diagnostics): number | undefined {
  if (!flow.timeout?.value) return checkTimeout(spec.flowTimeout, undefined); // reported once, by globalFlowTimeout
  return checkTimeout(flow.timeout, diagnostics);
}

/** Checks `flow_timeout` once, used or not. */
export function globalFlowTimeout(spec: Spec, diagnostics: Diagnostics): void {
  checkTimeout(spec.flowTimeout, diagnostics);
}

function checkTimeout(value: Positioned<string> | undefined, diagnostics: Diagnostics | undefined): number | undefined {
  if (!value || value.value === '') return undefined;
  const ms = parseDuration(value.value);
  if (ms === undefined || ms <= 0) {
    diagnostics?.error('MAESTRO_ERR_DURATION', value.pos, `invalid flow timeout "${value.value}"; write e.g. "5s"`);
    return undefined;
  }
  return ms;
}

export function compileJournal(spec: JournalSpec | undefined, diagnostics: Diagnostics): JournalPlan | undefined {
  if (!spec) return undefined;
  if (spec.path && spec.postgres) {
    diagnostics.error(
      'MAESTRO_ERR_JOURNAL',
      spec.postgres.pos,
      'journal takes either path (SQLite) or postgres, not both',
    );
  }
  const leaseMs = duration(spec.lease, DEFAULT_LEASE_MS, 'lease', diagnostics);
  if (spec.lease && leaseMs < 100)
    diagnostics.error('MAESTRO_ERR_JOURNAL', spec.lease.pos, 'journal lease must be 100ms or more');
  if (spec.schema && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(spec.schema.value)) {
    diagnostics.error(
      'MAESTRO_ERR_JOURNAL',
      spec.schema.pos,
      `journal schema "${spec.schema.value}" must be a plain SQL name (letters, digits, _)`,
    );
  }
  if (spec.postgres) {
    if (!/^postgres(ql)?:\/\//.test(spec.postgres.value)) {
      diagnostics.error('MAESTRO_ERR_JOURNAL', spec.postgres.pos, 'journal postgres must be a postgres:// URL');
    }
    return { kind: 'postgres', url: spec.postgres.value, schema: spec.schema?.value ?? 'maestro', leaseMs };
  }
  if (spec.schema) diagnostics.error('MAESTRO_ERR_JOURNAL', spec.schema.pos, 'journal schema applies to postgres only');
  return { kind: 'sqlite', path: spec.path?.value ?? DEFAULT_JOURNAL_PATH };
}

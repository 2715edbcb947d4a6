/**
 * The per-request context: created once per run with a fixed shape. Path and query
 * parameters join the input where the body has no value of that name (Semaphore's
 * behaviour), converted to the input field's type.
 */
import type { ExecContext, FlowPlan, NamedGetters } from '../compile/plan.js';
import type { MessageType } from '../schema/types.js';
import type { FlowRequest } from './types.js';

export function createContext(flow: FlowPlan, request: FlowRequest): ExecContext {
  const n = flow.nodes.length;
  const input = mergeParams(request.input, request.params, flow.input.type);
  const inputHeader: Record<string, string> = {};
  for (const name of flow.input.headers) {
    const value = request.header[name];
    if (value !== undefined) inputHeader[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    input,
    inputHeader,
    inputParams: request.params,
    responses: new Array<unknown>(n),
    responseHeaders: new Array<Record<string, string> | undefined>(n),
    requests: new Array<unknown>(n),
    upstreamErrors: new Array<unknown>(n),
    error: undefined,
    errorParams: undefined,
    elements: [],
    requestId: request.requestId,
  };
}

function mergeParams(input: Record<string, unknown>, params: Record<string, string>, type: MessageType | undefined): Record<string, unknown> {
  let merged = input;
  for (const name in params) {
    if (merged[name] !== undefined) continue;
    if (merged === input) merged = { ...input };
    merged[name] = convertParam(params[name]!, type, name);
  }
  return merged;
}

function convertParam(value: string, type: MessageType | undefined, name: string): unknown {
  const field = type?.fields.get(name);
  if (!field || field.kind !== 'scalar' || field.repeated) return value;
  switch (field.scalar) {
    case 'bool':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'string':
    case 'bytes':
      return value;
    default: {
      if (value.trim() === '') return value;
      const n = Number(value);
      if (!Number.isFinite(n)) return value;
      if (Number.isInteger(n) && !Number.isSafeInteger(n) && /^-?\d+$/.test(value)) return BigInt(value);
      return n;
    }
  }
}

/** Evaluates name → value getters into strings (headers, params), skipping absent values. */
export function evaluateNamed(getters: NamedGetters, ctx: ExecContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, get] of getters) {
    const value = get(ctx);
    if (value === undefined || value === null) continue;
    out[name] = typeof value === 'object' ? JSON.stringify(value, bigintReplacer) : String(value);
  }
  return out;
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

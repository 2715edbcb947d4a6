/**
 * The per-request context: created once per run with a fixed shape. Path and query
 * parameters join the input where the body has no value of that name (Semaphore's
 * behaviour), converted to the input field's type by the rules of a form body
 * (`?tags=a` is a list of one); one that does not fit its field is a CodecError naming it.
 */
import { normalize } from '../codec/typed.js';
import type { ExecContext, FlowPlan, NamedGetters } from '../compile/plan.js';
import type { MessageType } from '../schema/types.js';
import type { FlowRequest } from './types.js';

/**
 * Throws CodecError for a parameter that does not fit its input field; `strict` false
 * keeps it as text instead (for answering a request that is refused anyway).
 */
export function createContext(flow: FlowPlan, request: FlowRequest, strict = true): ExecContext {
  const n = flow.nodes.length;
  const input = mergeParams(request.input, request.params, flow.input.type, strict);
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
    remoteAddress: request.remoteAddress ?? '',
    runId: undefined,
  };
}

function mergeParams(
  input: Record<string, unknown>,
  params: Record<string, string>,
  type: MessageType | undefined,
  strict: boolean,
): Record<string, unknown> {
  let merged = input;
  for (const name in params) {
    if (merged[name] !== undefined) continue;
    if (merged === input) merged = { ...input };
    merged[name] = convertParam(params[name]!, type, name, strict);
  }
  return merged;
}

function convertParam(value: string, type: MessageType | undefined, name: string, strict: boolean): unknown {
  if (!type || !type.fields.has(name)) return value;
  try {
    return normalize({ [name]: value }, type, 'text')[name];
  } catch (error) {
    if (strict) throw error;
    return value;
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

/**
 * The resolver of a flow field, built once per endpoint: arguments → FlowRequest →
 * executor → output body, or a GraphQLError carrying the flow's status and error object.
 * Only that field becomes null; sibling fields of the same document still answer.
 */
import { GraphQLError, type GraphQLFieldResolver } from 'graphql';
import type { FlowPlan, GraphqlEndpointPlan } from '../../compile/plan.js';
import type { FlowFailure, FlowRequest } from '../../flow/types.js';
import type { FlowRunner } from '../listener.js';

/**
 * What every resolver of one HTTP request shares. A type alias (not an interface) so it
 * satisfies graphql-http's `OperationContext` record constraint.
 */
export type GraphqlContext = {
  /** All request headers, lower-cased names. */
  header: Record<string, string | string[] | undefined>;
  /** `x-request-id` of the request, else a fresh UUID; one per HTTP request. */
  requestId: string;
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
  /** The client's IP address (`input.remote:address`). */
  remoteAddress?: string;
};

/** Name of the single argument of an untyped flow. */
export const UNTYPED_INPUT_ARG = 'input';

/**
 * `typed`: the flow has an input message, whose fields are the arguments. Otherwise the
 * flow takes an optional `input: JSON` object, used as the whole input.
 */
export function createFlowResolver(
  flow: FlowPlan,
  runner: FlowRunner,
  typed: boolean,
  endpoint?: GraphqlEndpointPlan,
): GraphQLFieldResolver<unknown, GraphqlContext, Record<string, unknown>> {
  return async function resolveFlow(_source, args, context) {
    const input = typed ? withoutNulls(args) : untypedInput(args[UNTYPED_INPUT_ARG]);
    const request: FlowRequest = {
      input,
      header: context.header,
      params: {},
      requestId: context.requestId,
      signal: context.signal,
      remoteAddress: context.remoteAddress,
      endpoint,
    };
    const result = await runner.run(flow, request);
    if (result.ok) return result.body ?? null;
    throw flowError(result);
  };
}

/** `{message, extensions: {status, …error object}}`, as DESIGN §5 specifies. */
export function flowError(failure: FlowFailure): GraphQLError {
  const body = failure.body;
  const extensions: Record<string, unknown> = isRecord(body)
    ? { status: failure.status, ...body }
    : { status: failure.status };
  if (failure.code !== undefined) extensions.code = failure.code;
  return new GraphQLError(failure.message, { extensions });
}

function untypedInput(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (isRecord(value)) return withoutNulls(value);
  throw new GraphQLError(`argument "${UNTYPED_INPUT_ARG}" must be an object`, { extensions: { status: 400 } });
}

/**
 * A null argument means "not set": proto has no null, and the codecs leave absent fields
 * out, so explicit nulls are dropped at every depth.
 */
function withoutNulls(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (value !== null && value !== undefined) out[key] = clean(value);
  }
  return out;
}

function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  return isRecord(value) ? withoutNulls(value) : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * The one table between gRPC status codes and the HTTP-style statuses flows speak, used
 * by the caller (an upstream's code becomes the resource's status) and by the listener
 * (a failed flow's status becomes the client's code). The two directions are not exact
 * inverses: HTTP has no CANCELLED and gRPC has no 502, so each keeps its own table.
 *
 *   caller:   upstream code ──grpcToHttp──▶ CallResult.status
 *   listener: FlowFailure.status ──httpToGrpc──▶ client code
 */
import { Code, codeName } from './codes.js';

/** What an upstream's non-OK code means for the flow (google.rpc / grpc-gateway mapping). */
const GRPC_TO_HTTP = new Map<number, number>([
  [Code.OK, 200],
  [Code.CANCELLED, 499],
  [Code.UNKNOWN, 500],
  [Code.INVALID_ARGUMENT, 400],
  [Code.DEADLINE_EXCEEDED, 504],
  [Code.NOT_FOUND, 404],
  [Code.ALREADY_EXISTS, 409],
  [Code.PERMISSION_DENIED, 403],
  [Code.RESOURCE_EXHAUSTED, 429],
  [Code.FAILED_PRECONDITION, 400],
  [Code.ABORTED, 409],
  [Code.OUT_OF_RANGE, 400],
  [Code.UNIMPLEMENTED, 501],
  [Code.INTERNAL, 500],
  // Also what grpc-js reports for a refused or dropped connection: a flow then fails
  // with 503 rather than the 502 an HTTP upstream gives, because the two cannot be told
  // apart from an upstream that answered UNAVAILABLE itself.
  [Code.UNAVAILABLE, 503],
  [Code.DATA_LOSS, 500],
  [Code.UNAUTHENTICATED, 401],
]);

/** What a failed flow's status becomes for a gRPC client (DESIGN §5). */
const HTTP_TO_GRPC = new Map<number, Code>([
  [400, Code.INVALID_ARGUMENT],
  [401, Code.UNAUTHENTICATED],
  [403, Code.PERMISSION_DENIED],
  [404, Code.NOT_FOUND],
  [408, Code.DEADLINE_EXCEEDED],
  [409, Code.ALREADY_EXISTS],
  [412, Code.FAILED_PRECONDITION],
  [429, Code.RESOURCE_EXHAUSTED],
  [499, Code.CANCELLED],
  [500, Code.INTERNAL],
  [501, Code.UNIMPLEMENTED],
  [502, Code.UNAVAILABLE],
  [503, Code.UNAVAILABLE],
  [504, Code.DEADLINE_EXCEEDED],
]);

/** HTTP-style status for a gRPC code; unknown codes are 500. */
export function grpcToHttp(code: number): number {
  return GRPC_TO_HTTP.get(code) ?? 500;
}

/** gRPC code for a flow's status: other 4xx are UNKNOWN (a client error we cannot name), other 5xx INTERNAL. */
export function httpToGrpc(status: number): Code {
  const mapped = HTTP_TO_GRPC.get(status);
  if (mapped !== undefined) return mapped;
  return status >= 400 && status < 500 ? Code.UNKNOWN : Code.INTERNAL;
}

/** `NOT_FOUND` for 5, for log lines and error bodies. */
export function grpcCodeName(code: number): string {
  return codeName(code) ?? `CODE_${code}`;
}

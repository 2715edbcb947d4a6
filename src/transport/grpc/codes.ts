/**
 * gRPC status codes as plain numbers, so the node:http2 caller (and the status table it
 * shares) does not import grpc-js just for an enum: grpc-js then loads only for a gRPC
 * listener or a resolver-style target. Same values and names as grpc-js's `status`.
 */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type Code = (typeof Code)[keyof typeof Code];

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(Code).map(([name, value]) => [value, name]));

export function codeName(code: number): string | undefined {
  return NAMES.get(code);
}

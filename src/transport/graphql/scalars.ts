/**
 * The three scalars proto needs beyond GraphQL's own:
 *
 * - `Int64` for int64/uint64/sint64/fixed64/sfixed64. GraphQL's `Int` is 32-bit and a
 *   JS number is exact only to 2^53, so values travel as `number` when they are safe
 *   integers and as `bigint` beyond. In answers they are JSON numbers written digit for
 *   digit (the listener's response writer prints bigints exactly, as the HTTP listener
 *   and Semaphore do). As input an integer literal, a string literal, or a variable
 *   holding a number or a decimal string is accepted; a client that cannot write exact
 *   big numbers in JSON should send them as strings.
 * - `Bytes` for bytes: base64 text, as proto3 JSON writes it.
 * - `JSON` for map fields, empty messages and untyped flows: any JSON value.
 */
import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped, type ValueNode } from 'graphql';

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const DIGITS = /^-?\d+$/;

/** number when exact, bigint beyond 2^53; undefined for anything not a 64-bit integer. */
export function toInt64(value: unknown): number | bigint | undefined {
  let big: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return undefined;
    if (Number.isSafeInteger(value)) return value;
    big = BigInt(value);
  } else if (typeof value === 'bigint') {
    big = value;
  } else if (typeof value === 'string' && DIGITS.test(value)) {
    big = BigInt(value);
  } else {
    return undefined;
  }
  if (big < INT64_MIN || big > UINT64_MAX) return undefined;
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function int64Input(value: unknown, node?: ValueNode): number | bigint {
  const parsed = toInt64(value);
  if (parsed === undefined) {
    throw new GraphQLError(
      `Int64 cannot represent ${describe(value)}: expected a 64-bit integer (number or decimal string)`,
      node ? { nodes: node } : undefined,
    );
  }
  return parsed;
}

export const Int64Scalar = new GraphQLScalarType<number | bigint, number | bigint>({
  name: 'Int64',
  description: '64-bit integer. Written as an exact JSON number; accepted as an integer or a decimal string.',
  serialize(value) {
    const parsed = toInt64(value);
    if (parsed === undefined) throw new GraphQLError(`Int64 cannot represent ${describe(value)}`);
    return parsed;
  },
  parseValue: (value) => int64Input(value),
  parseLiteral(node) {
    if (node.kind === Kind.INT || node.kind === Kind.STRING) return int64Input(node.value, node);
    throw new GraphQLError(`Int64 cannot represent a ${node.kind} literal`, { nodes: node });
  },
});

export const BytesScalar = new GraphQLScalarType<Uint8Array, string>({
  name: 'Bytes',
  description: 'Binary data as base64 text.',
  serialize(value) {
    if (typeof value === 'string') return value;
    if (value instanceof Uint8Array)
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    throw new GraphQLError(`Bytes cannot represent ${describe(value)}`);
  },
  parseValue(value) {
    if (typeof value !== 'string') throw new GraphQLError(`Bytes expects base64 text, got ${describe(value)}`);
    return Buffer.from(value, 'base64');
  },
  parseLiteral(node) {
    if (node.kind !== Kind.STRING) throw new GraphQLError('Bytes expects a base64 string literal', { nodes: node });
    return Buffer.from(node.value, 'base64');
  },
});

export const JsonScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'Any JSON value (untyped flows, proto maps, empty messages).',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (node, variables) => valueFromASTUntyped(node, variables ?? undefined),
});

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return value === null
    ? 'null'
    : Array.isArray(value)
      ? 'a list'
      : typeof value === 'object'
        ? 'an object'
        : typeof value;
}

/**
 * Bounds on what a request body or query string may decode into. Every decoder reads
 * them, so that the decoded value stays within a small constant times the input: a
 * 149 KB form of `k0[10000]=1&k1[10000]=1…` once decoded into 100 million array slots.
 *
 *   limit            default  applies to                       over it
 *   max_fields       1000     form body, query string (pairs)  413
 *   max_array_index  1000     form `name[i]` indexes           400
 *   max_depth        512      JSON, XML, form key nesting      400
 *
 * The defaults serve ordinary traffic; `http { }` may set each one. An answer over a
 * limit names it, so that a client (or an operator reading the log) knows which to raise.
 */
import { CodecError } from './codec.js';

export interface DecodeLimits {
  /** Pairs in a form body or a query string. */
  maxFields: number;
  /** Largest `name[i]` index in a form key; lists are compacted, so holes cost nothing. */
  maxArrayIndex: number;
  /** Nesting of JSON arrays/objects, XML elements and dotted form keys. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxFields: 1000,
  maxArrayIndex: 1000,
  maxDepth: 512,
});

/** The HCL attribute that sets each limit, as messages name it. */
export const LIMIT_ATTRIBUTES: Readonly<Record<keyof DecodeLimits, string>> = Object.freeze({
  maxFields: 'max_fields',
  maxArrayIndex: 'max_array_index',
  maxDepth: 'max_depth',
});

/**
 * A body or query string over one of the limits. `status` is 413 for a count (the
 * request is too large) and 400 for a shape (an index or a nesting no client needs).
 */
export class LimitError extends CodecError {
  readonly status: 400 | 413;

  constructor(
    readonly limit: keyof DecodeLimits,
    readonly value: number,
    message: string,
  ) {
    super(`${message} (limit ${LIMIT_ATTRIBUTES[limit]} = ${value} in http { })`);
    this.status = limit === 'maxFields' ? 413 : 400;
  }
}

/**
 * Number of `&`-separated pairs in `text`, counting stops once it passes `max` so a huge
 * text costs no more than the limit. Empty pairs (`a=1&&b=2`) are not counted.
 */
export function countPairs(text: string, max: number): number {
  let count = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start && ++count > max) return count;
    start = end + 1;
  }
  return count;
}

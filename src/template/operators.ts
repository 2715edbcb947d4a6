/**
 * What condition operators mean. Values come from JSON bodies, proto messages and HCL
 * literals, so a number may arrive as number, bigint (int64) or numeric string; the rules
 * below make the obvious comparisons work without surprising coercions:
 *
 * - Absent (undefined) and null are equal to each other and to nothing else, so
 *   `{{ skipped:field }} == null` holds for a resource that did not run.
 * - `==` / `!=`: numbers and bigints compare numerically (1 == 1n); a number or bigint
 *   against a numeric string compares numerically too ("100" == 100); everything else
 *   compares strictly by value (strings, booleans; objects and arrays structurally).
 * - `< <= > >=`: two strings compare lexically; otherwise both sides must be numeric
 *   (number, bigint, numeric string) or the comparison is false.
 * - `&& || !` use truthiness: undefined, null, false, 0, 0n, NaN and '' are false;
 *   objects and arrays (even empty) are true. The result is a boolean.
 * - `+` on two strings concatenates; otherwise `+ - * /` and unary `-` are numeric,
 *   giving null when a side is not numeric, and null on division by zero.
 * - bigint mixes with number exactly: integers stay bigint, a fraction makes the result
 *   a number; bigint division that does not divide evenly gives a number.
 */
import { toNumeric, type Numeric } from '../shared/values.js';

// Numeric coercion is shared with sprintf and the codecs: src/shared/values.ts.
export { toNumeric };

export function truthy(value: unknown): boolean {
  return !!value;
}

export function equals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null || b === undefined || b === null) {
    return (a === undefined || a === null) && (b === undefined || b === null);
  }
  const ta = typeof a;
  const tb = typeof b;
  const aNumber = ta === 'number' || ta === 'bigint';
  const bNumber = tb === 'number' || tb === 'bigint';
  if (aNumber || bNumber) {
    if (!(aNumber || ta === 'string') || !(bNumber || tb === 'string')) return false;
    const x = toNumeric(a);
    const y = toNumeric(b);
    return x !== undefined && y !== undefined && numericEqual(x, y);
  }
  if (ta === 'object' && tb === 'object') return deepEqual(a as object, b as object);
  return false;
}

/** -1, 0 or 1; undefined when the two values cannot be ordered. */
export function compare(a: unknown, b: unknown): -1 | 0 | 1 | undefined {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const x = toNumeric(a);
  const y = toNumeric(b);
  if (x === undefined || y === undefined) return undefined;
  // Relational operators are exact between number and bigint; NaN gives undefined.
  return x < y ? -1 : x > y ? 1 : numericEqual(x, y) ? 0 : undefined;
}

export function add(a: unknown, b: unknown): unknown {
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  return arithmetic(
    a,
    b,
    (x, y) => x + y,
    (x, y) => x + y,
  );
}

export function subtract(a: unknown, b: unknown): unknown {
  return arithmetic(
    a,
    b,
    (x, y) => x - y,
    (x, y) => x - y,
  );
}

export function multiply(a: unknown, b: unknown): unknown {
  return arithmetic(
    a,
    b,
    (x, y) => x * y,
    (x, y) => x * y,
  );
}

export function divide(a: unknown, b: unknown): unknown {
  return arithmetic(
    a,
    b,
    (x, y) => (y === 0 ? null : x / y),
    (x, y) => (y === 0n ? null : x % y === 0n ? x / y : Number(x) / Number(y)),
  );
}

export function negate(a: unknown): unknown {
  const x = toNumeric(a);
  return x === undefined ? null : -x;
}

function arithmetic(
  a: unknown,
  b: unknown,
  onNumbers: (x: number, y: number) => unknown,
  onBigints: (x: bigint, y: bigint) => unknown,
): unknown {
  const x = toNumeric(a);
  const y = toNumeric(b);
  if (x === undefined || y === undefined) return null;
  if (typeof x === 'number' && typeof y === 'number') return onNumbers(x, y);
  if (typeof x === 'bigint' && typeof y === 'bigint') return onBigints(x, y);
  // Mixed: stay exact when the number is an integer, else fall back to floating point.
  const n = (typeof x === 'number' ? x : y) as number;
  if (Number.isInteger(n)) return onBigints(BigInt(x), BigInt(y));
  return onNumbers(Number(x), Number(y));
}

function numericEqual(x: Numeric, y: Numeric): boolean {
  // Loose equality is exact between number and bigint (1 == 1n, 2**53 + 1 != 2n**53n).
  return typeof x === typeof y ? x === y : x == y;
}

function deepEqual(a: object, b: object): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item: unknown, i) => equals(item, b[i]));
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((key) => Object.hasOwn(rb, key) && equals(ra[key], rb[key]));
}

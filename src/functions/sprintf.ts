/**
 * sprintf with Go's verbs and Go's way of reporting mistakes in the output rather than
 * failing the request:
 *
 *   %s %v  the value as text (objects as JSON)     %d  an integer
 *   %f     a decimal, %.2f with precision          %t  a boolean
 *   %q     a double-quoted string                   %json  the argument as JSON
 *   %%     a percent sign
 *   width and flags: %5d  %-8s  %08.3f  %+d
 *
 *   sprintf('%d')        → "%!d(MISSING)"
 *   sprintf('%d', 'x')   → "%!d(string=x)"
 *   sprintf('a', 1)      → "a%!(EXTRA int=1)"
 *
 * A literal format (the usual case) is parsed once, at compile time, via `specialize`.
 */
import { jsonText, renderText, toNumeric } from '../shared/values.js';
import type { TemplateFunction } from './function.js';

interface Verb {
  verb: string;
  flags: string;
  width: number;
  precision: number | undefined;
}

type Piece = string | Verb;

const SPEC = /([-+ 0#]*)(\d+)?(?:\.(\d+))?(json|[A-Za-z%])/y;

export function parseFormat(format: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = '';
  let i = 0;
  while (i < format.length) {
    const percent = format.indexOf('%', i);
    if (percent < 0) {
      literal += format.slice(i);
      break;
    }
    literal += format.slice(i, percent);
    SPEC.lastIndex = percent + 1;
    const match = SPEC.exec(format);
    if (!match) {
      literal += '%!(NOVERB)';
      i = percent + 1;
      continue;
    }
    i = SPEC.lastIndex;
    const [, flags = '', width, precision, verb = ''] = match;
    if (verb === '%') {
      literal += '%';
      continue;
    }
    if (literal) pieces.push(literal);
    literal = '';
    pieces.push({
      verb,
      flags,
      width: width ? Number(width) : 0,
      precision: precision ? Number(precision) : undefined,
    });
  }
  if (literal) pieces.push(literal);
  return pieces;
}

/** Renders parsed pieces with `args[1..]` (args[0] is the format itself). */
export function formatPieces(pieces: Piece[], args: unknown[]): string {
  let out = '';
  let next = 1;
  for (const piece of pieces) {
    if (typeof piece === 'string') out += piece;
    else if (next >= args.length) out += `%!${piece.verb}(MISSING)`;
    else out += formatVerb(piece, args[next++]);
  }
  if (next < args.length) {
    out += `%!(EXTRA ${args.slice(next).map(describe).join(', ')})`;
  }
  return out;
}

function formatVerb(spec: Verb, value: unknown): string {
  let text: string | undefined;
  switch (spec.verb) {
    case 's':
    case 'v':
      text = renderText(value);
      break;
    case 'q':
      text = JSON.stringify(renderText(value));
      break;
    case 'json':
      text = jsonText(value);
      break;
    case 't':
      if (typeof value === 'boolean') text = String(value);
      break;
    case 'd':
      text = formatInteger(value, spec.flags);
      break;
    case 'f':
      text = formatDecimal(value, spec.precision ?? 6, spec.flags);
      break;
  }
  if (text === undefined) return `%!${spec.verb}(${describe(value)})`;
  return pad(text, spec);
}

function formatInteger(value: unknown, flags: string): string | undefined {
  if (typeof value === 'boolean') return undefined;
  const n = toNumeric(value);
  if (n === undefined) return undefined;
  // Go refuses %d of a float; a gateway is kinder: the fraction is dropped.
  const text = typeof n === 'bigint' ? n.toString() : Number.isFinite(n) ? Math.trunc(n).toString() : String(n);
  return sign(text, flags);
}

function formatDecimal(value: unknown, precision: number, flags: string): string | undefined {
  if (typeof value === 'boolean') return undefined;
  const n = toNumeric(value);
  if (n === undefined) return undefined;
  // A bigint stays exact: its digits, then zeros for the requested precision.
  const text =
    typeof n === 'bigint'
      ? precision > 0
        ? `${n}.${'0'.repeat(precision)}`
        : `${n}`
      : n.toFixed(Math.min(precision, 100));
  return sign(text, flags);
}

function sign(text: string, flags: string): string {
  if (text.startsWith('-')) return text;
  if (flags.includes('+')) return `+${text}`;
  if (flags.includes(' ')) return ` ${text}`;
  return text;
}

function pad(text: string, spec: Verb): string {
  if (text.length >= spec.width) return text;
  if (spec.flags.includes('-')) return text.padEnd(spec.width);
  const numeric = spec.verb === 'd' || spec.verb === 'f';
  if (numeric && spec.flags.includes('0')) {
    const signed = text.startsWith('-') || text.startsWith('+') || text.startsWith(' ');
    return signed ? text[0] + text.slice(1).padStart(spec.width - 1, '0') : text.padStart(spec.width, '0');
  }
  return text.padStart(spec.width);
}

/** Go-style `type=value` used in error markers. */
function describe(value: unknown): string {
  if (value === undefined || value === null) return '<nil>';
  if (typeof value === 'string') return `string=${value}`;
  if (typeof value === 'bigint') return `int=${value}`;
  if (typeof value === 'number') return `${Number.isInteger(value) ? 'int' : 'float64'}=${value}`;
  if (typeof value === 'boolean') return `bool=${value}`;
  return `${Array.isArray(value) ? 'slice' : 'map'}=${renderText(value)}`;
}

export const sprintf: TemplateFunction = {
  name: 'sprintf',
  minArgs: 1,
  maxArgs: Infinity,
  returns: 'string',
  invoke: (args) => formatPieces(parseFormat(renderText(args[0])), args),
  specialize(constants) {
    const format = constants[0];
    if (format === undefined) return undefined;
    const pieces = parseFormat(renderText(format.value));
    return (args) => formatPieces(pieces, args);
  },
};

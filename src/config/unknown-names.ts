/**
 * Warnings for names written where Semaphore accepted anything (an endpoint's members,
 * `options { }` blocks) that no protocol reads: positioned, with the closest known name.
 * The names come from the one table, config/known.ts.
 */
import { didYouMean, type Diagnostics } from '../errors.js';
import type { Pos } from '../spec/types.js';

/** The part of the builders' context these checks use. */
interface BuildContext {
  diagnostics: Diagnostics;
}
import { ENDPOINT_ATTRIBUTES, ENDPOINT_BLOCKS, KNOWN, type KnownPlace } from './known.js';

const CODE = 'MAESTRO_WARN_UNKNOWN';

/** Attributes of an `options { }` block at `place` that nothing reads. */
export function warnUnknownOptions(
  names: Iterable<readonly [string, Pos]>,
  place: KnownPlace,
  where: string,
  ctx: BuildContext,
): void {
  const known = KNOWN[place].attributes;
  for (const [name, pos] of names) {
    if (known.includes(name)) continue;
    const hint = didYouMean(name, known);
    ctx.diagnostics.warn(CODE, pos, `unknown option "${name}" ${where} is ignored${hint}`);
  }
}

/** An endpoint attribute no protocol reads, or one another protocol reads. */
export function warnEndpointAttribute(
  name: string,
  protocol: string,
  pos: Pos,
  where: string,
  ctx: BuildContext,
): void {
  const own = ENDPOINT_ATTRIBUTES[protocol];
  if (!own || own.includes(name)) return; // an unknown protocol is reported by compile
  const others = Object.entries(ENDPOINT_ATTRIBUTES)
    .filter(([p, list]) => p !== protocol && list.includes(name))
    .map(([p]) => p);
  if (others.length > 0) {
    ctx.diagnostics.warn(
      CODE,
      pos,
      `attribute "${name}" ${where} is ignored: only ${others.join(' and ')} endpoints read it`,
    );
    return;
  }
  ctx.diagnostics.warn(CODE, pos, `unknown attribute "${name}" ${where} is ignored${didYouMean(name, own)}`);
}

/** An endpoint block no protocol reads. */
export function warnEndpointBlock(type: string, pos: Pos, where: string, ctx: BuildContext): void {
  if (ENDPOINT_BLOCKS.includes(type)) return;
  ctx.diagnostics.warn(CODE, pos, `unknown block "${type}" ${where} is ignored${didYouMean(type, ENDPOINT_BLOCKS)}`);
}

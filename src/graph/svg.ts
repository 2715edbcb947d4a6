/**
 * SVG from DOT, offline: Graphviz compiled to WebAssembly (@viz-js/viz), loaded once on
 * first use and kept — the module costs a few MB, so neither `validate` nor a daemon
 * without the /flows page pays for it.
 */
import type { Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;

export async function renderSvg(dot: string): Promise<string> {
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  const result = (await viz).render(dot, { format: 'svg' });
  if (result.status !== 'success') {
    throw new Error(`graphviz could not draw the graph: ${result.errors.map((e) => e.message).join('; ')}`);
  }
  return result.output;
}

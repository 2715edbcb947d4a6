/**
 * `maestro graph`: load and compile like `validate`, then draw the flows in the format
 * asked for. Returns the text to print, or the diagnostics when the config is refused.
 */
import type { Plan } from '../compile/plan.js';
import type { Spec } from '../spec/types.js';
import { toDot } from './dot.js';
import { toMermaid } from './mermaid.js';
import { planGraphs, type FlowGraph } from './model.js';
import { renderSvg } from './svg.js';

import type { GraphFormat } from './formats.js';

export { GRAPH_FORMATS, type GraphFormat } from './formats.js';

export { planGraphs, flowGraph, type FlowGraph } from './model.js';
export { toDot } from './dot.js';
export { toMermaid } from './mermaid.js';
export { renderSvg } from './svg.js';

/** Throws when `flow` names no flow or proxy of the plan. */
export async function drawPlan(
  plan: Plan,
  spec: Spec | undefined,
  format: GraphFormat,
  flow?: string,
): Promise<string> {
  const graphs: FlowGraph[] = planGraphs(plan, spec, flow);
  if (flow !== undefined && graphs.length === 0) {
    const names = plan.flows.map((f) => f.name).join(', ');
    throw new Error(`no flow or proxy named "${flow}"${names ? ` (there are: ${names})` : ''}`);
  }
  if (format === 'mermaid') return toMermaid(graphs);
  const dot = toDot(graphs);
  return format === 'dot' ? dot : renderSvg(dot);
}

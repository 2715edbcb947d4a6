/**
 * Mermaid flowchart text of flow graphs, to paste into a README or a wiki. Several flows
 * become one chart with a subgraph each; every identifier is generated (`f0_resource_1`)
 * so no resource name can collide with Mermaid's keywords (`end`, `graph`…), and labels
 * are quoted with Mermaid's entity escapes, so any text is safe inside them.
 */
import type { FlowGraph, GraphGroup, GraphNode } from './model.js';

const SHAPES: Record<GraphNode['kind'], [open: string, close: string]> = {
  input: ['(["', '"])'],
  output: ['(["', '"])'],
  resource: ['["', '"]'],
  value: ['[/"', '"/]'],
  rollback: ['["', '"]'],
  forward: ['[["', '"]]'],
};

export function toMermaid(graphs: readonly FlowGraph[]): string {
  const out = ['flowchart TD'];
  const wrap = graphs.length > 1;
  graphs.forEach((graph, i) => {
    const prefix = `f${i}_`;
    const indent = wrap ? '    ' : '  ';
    if (wrap) out.push(`  subgraph ${prefix}flow ["${escape(`${graph.kind} ${graph.flow}`)}"]`, '    direction TB');
    writeGroup(graph, undefined, prefix, indent, out);
    for (const edge of graph.edges) {
      const arrow = edge.dashed ? '-.->' : '-->';
      const label = edge.label ? `|"${escape(edge.label)}"|` : '';
      out.push(`${indent}${prefix}${edge.from} ${arrow}${label} ${prefix}${edge.to}`);
    }
    const rollbacks = graph.nodes.filter((n) => n.kind === 'rollback').map((n) => prefix + n.id);
    if (rollbacks.length > 0) out.push(`${indent}class ${rollbacks.join(',')} rollback`);
    if (wrap) out.push('  end');
  });
  out.push('  classDef rollback stroke-dasharray: 5 5');
  return `${out.join('\n')}\n`;
}

/** The nodes directly in `group` (undefined: the top level), then its nested groups. */
function writeGroup(
  graph: FlowGraph,
  group: GraphGroup | undefined,
  prefix: string,
  indent: string,
  out: string[],
): void {
  for (const node of graph.nodes) {
    if (node.group !== group?.id) continue;
    const [open, close] = SHAPES[node.kind];
    out.push(`${indent}${prefix}${node.id}${open}${node.lines.map(escape).join('<br/>')}${close}`);
  }
  for (const child of graph.groups) {
    if (child.parent !== group?.id) continue;
    out.push(`${indent}subgraph ${prefix}${child.id} ["${escape(child.label)}"]`);
    writeGroup(graph, child, prefix, `${indent}  `, out);
    out.push(`${indent}end`);
  }
}

/** Text inside a quoted Mermaid label: `#` starts an entity, so it is escaped first. */
export function escape(text: string): string {
  return text.replace(/[#"<>]/g, (c) => `#${c.charCodeAt(0)};`);
}

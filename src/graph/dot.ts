/**
 * Graphviz DOT text of flow graphs (`maestro graph --format dot`, and the source of the
 * SVG). Several flows become one digraph with a cluster each. Conditions are clusters
 * too, nested like the `if` blocks; rollbacks are dashed. With `figures`, each resource
 * gets an empty last label line and an `id` the /flows page fills in with live numbers.
 */
import type { FlowGraph, GraphGroup, GraphNode } from './model.js';

export interface DotOptions {
  /** Reserve a line under each resource for live figures (the /flows page). */
  figures?: boolean;
  /** Prefix of node ids in the SVG (`<g id="…">`), to find them on a page. */
  idPrefix?: string;
}

/** The placeholder line the /flows page replaces; its width sizes the box. */
export const FIGURES_PLACEHOLDER = '– calls · – errors · p50 –';

const SHAPES: Record<GraphNode['kind'], string> = {
  input: 'shape=oval',
  output: 'shape=oval',
  resource: 'shape=box, style="rounded"',
  value: 'shape=note',
  rollback: 'shape=box, style="dashed"',
  forward: 'shape=box3d',
};

export function toDot(graphs: readonly FlowGraph[], options: DotOptions = {}): string {
  const out = [
    'digraph maestro {',
    '  rankdir=TB;',
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  const wrap = graphs.length > 1;
  graphs.forEach((graph, i) => {
    const prefix = `f${i}_`;
    const indent = wrap ? '    ' : '  ';
    if (wrap)
      out.push(
        `  subgraph cluster_${prefix}flow {`,
        `    label=${quote(`${graph.kind} ${graph.flow}`)};`,
        '    style="rounded";',
      );
    writeGroup(graph, undefined, prefix, indent, out, options);
    for (const edge of graph.edges) {
      const attributes = [edge.dashed ? 'style=dashed' : '', edge.label ? `label=${quote(edge.label)}` : '']
        .filter(Boolean)
        .join(', ');
      out.push(`${indent}${prefix}${edge.from} -> ${prefix}${edge.to}${attributes ? ` [${attributes}]` : ''};`);
    }
    if (wrap) out.push('  }');
  });
  out.push('}');
  return `${out.join('\n')}\n`;
}

function writeGroup(
  graph: FlowGraph,
  group: GraphGroup | undefined,
  prefix: string,
  indent: string,
  out: string[],
  options: DotOptions,
): void {
  for (const node of graph.nodes) {
    if (node.group !== group?.id) continue;
    const lines = options.figures && node.kind === 'resource' ? [...node.lines, FIGURES_PLACEHOLDER] : node.lines;
    const id = options.idPrefix !== undefined ? `, id=${quote(`${options.idPrefix}${node.id}`)}` : '';
    out.push(`${indent}${prefix}${node.id} [label=${quote(lines.join('\n'))}, ${SHAPES[node.kind]}${id}];`);
  }
  for (const child of graph.groups) {
    if (child.parent !== group?.id) continue;
    out.push(
      `${indent}subgraph cluster_${prefix}${child.id} {`,
      `${indent}  label=${quote(child.label)};`,
      `${indent}  style=dashed;`,
    );
    writeGroup(graph, child, prefix, `${indent}  `, out, options);
    out.push(`${indent}}`);
  }
}

/** A DOT string: backslashes and quotes escaped, line breaks as `\n` (centred lines). */
function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

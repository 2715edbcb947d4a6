/**
 * A flow as a picture: the DAG the executor runs, in a form that every renderer
 * (Mermaid, DOT, SVG, the /flows page) draws from.
 *
 *   input ──▶ roots ──▶ … ──▶ leaves ──▶ output (or forward, for a proxy)
 *   rollback ┄┄▶ its resource           if "cond" { … } → a group around its resources
 *
 * Edges come from the compiled plan (`deps`: references, depends_on, before, the reads of
 * `if` conditions), so the picture shows what runs, not what the file looks like. The spec
 * adds only what the plan folds into closures: condition text and rewrite rules.
 */
import type { FlowPlan, NodePlan, Plan } from '../compile/plan.js';
import type { ConditionSpec, FlowSpec, Spec } from '../spec/types.js';

export type GraphNodeKind = 'input' | 'resource' | 'value' | 'rollback' | 'output' | 'forward';

export interface GraphNode {
  /** Unique inside its flow; safe as a Mermaid or DOT identifier. */
  id: string;
  kind: GraphNodeKind;
  /** Lines of the label, first the name. */
  lines: string[];
  /** The resource this node is (or compensates), for live figures. */
  resource?: string;
  /** The innermost condition group holding the node. */
  group?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  dashed: boolean;
  label?: string;
}

export interface GraphGroup {
  id: string;
  /** `if <expression>`. */
  label: string;
  /** The enclosing group, for nested `if` blocks. */
  parent?: string;
}

export interface FlowGraph {
  flow: string;
  kind: 'flow' | 'proxy';
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Outermost first. */
  groups: GraphGroup[];
}

export interface GraphOptions {
  /** Show the forward target's host (default true; the /flows page leaves it out). */
  hosts?: boolean;
}

/** Graphs of every flow and proxy of the plan, or of the one named `only`. */
export function planGraphs(plan: Plan, spec: Spec | undefined, only?: string, options: GraphOptions = {}): FlowGraph[] {
  const specs = new Map<string, FlowSpec>();
  for (const flow of spec?.flows ?? []) specs.set(flow.name, flow);
  return plan.flows
    .filter((f) => only === undefined || f.name === only)
    .map((f) => flowGraph(f, specs.get(f.name), options));
}

export function flowGraph(flow: FlowPlan, spec: FlowSpec | undefined, options: GraphOptions = {}): FlowGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const groups = conditionGroups(flow, spec);

  const inputType = flow.input.type?.fullName;
  nodes.push({ id: 'input', kind: 'input', lines: inputType ? ['input', inputType] : ['input'] });
  for (const node of flow.nodes) {
    const group = groups.byNode[node.index];
    const lines = resourceLines(node, flow.kind);
    if (flow.stream?.node === node.index) lines.push('server stream');
    nodes.push({
      id: nodeId(node),
      kind: node.kind === 'value' ? 'value' : 'resource',
      lines,
      resource: node.name,
      group,
    });
    if (node.deps.length === 0) edges.push({ from: 'input', to: nodeId(node), dashed: false });
    for (const dep of node.deps) edges.push({ from: nodeId(flow.nodes[dep]!), to: nodeId(node), dashed: false });
    if (node.rollback) {
      const id = `rollback_${node.index}`;
      const each = node.forEach ? ['one per item'] : [];
      nodes.push({
        id,
        kind: 'rollback',
        lines: ['rollback', callName(node.rollback), ...each],
        resource: node.name,
        group,
      });
      edges.push({ from: id, to: nodeId(node), dashed: true, label: 'compensates' });
    }
  }

  const last = flow.kind === 'proxy' ? forwardNode(flow, spec, options.hosts ?? true) : outputNode(flow);
  nodes.push(last);
  const leaves = flow.nodes.filter((n) => n.dependents.length === 0);
  if (leaves.length === 0) edges.push({ from: 'input', to: last.id, dashed: false });
  for (const leaf of leaves) edges.push({ from: nodeId(leaf), to: last.id, dashed: false });
  return { flow: flow.name, kind: flow.kind, nodes, edges, groups: groups.list };
}

export function nodeId(node: NodePlan): string {
  return `resource_${node.index}`;
}

function callName(call: { service: { fullName: string }; method: { name: string } }): string {
  return `${call.service.fullName}.${call.method.name}`;
}

function resourceLines(node: NodePlan, kind: 'flow' | 'proxy'): string[] {
  const lines = [node.name];
  if (node.kind === 'value') lines.push('value');
  else if (node.call) lines.push(callName(node.call));
  else lines.push('no request');
  if (node.forEach) lines.push(`for each ${node.forEach.source}, ≤${node.forEach.maxConcurrency} at once`);
  if (node.before) lines.push('before');
  else if (kind === 'proxy') lines.push('check');
  return lines;
}

function outputNode(flow: FlowPlan): GraphNode {
  const type = flow.output?.type?.fullName;
  const lines = flow.output ? (type ? ['output', type] : ['output']) : ['output (empty)'];
  if (flow.stream) lines.push('one event per message');
  return { id: 'output', kind: 'output', lines };
}

function forwardNode(flow: FlowPlan, spec: FlowSpec | undefined, hosts: boolean): GraphNode {
  const lines = ['forward'];
  if (flow.forward) lines.push(flow.forward.service.fullName);
  if (flow.forward && hosts) lines.push(flow.forward.service.host);
  for (const rule of spec?.rewrites ?? []) lines.push(`rewrite ${rule.pattern} → ${rule.template}`);
  return { id: 'forward', kind: 'forward', lines };
}

/** One group per `if` block (its ConditionSpec is shared by the resources inside it). */
function conditionGroups(
  flow: FlowPlan,
  spec: FlowSpec | undefined,
): { list: GraphGroup[]; byNode: Array<string | undefined> } {
  const ids = new Map<ConditionSpec, string>();
  const list: GraphGroup[] = [];
  const byNode: Array<string | undefined> = [];
  for (const node of flow.nodes) {
    const conditions = spec?.resources[node.index]?.name === node.name ? spec.resources[node.index]!.conditions : [];
    let parent: string | undefined;
    for (const condition of conditions) {
      let id = ids.get(condition);
      if (!id) {
        id = `condition_${list.length}`;
        ids.set(condition, id);
        list.push({ id, label: `if ${condition.expression}`, parent });
      }
      parent = id;
    }
    byNode[node.index] = parent;
  }
  return { list, byNode };
}

/**
 * Cycle check over a flow's nodes (Tarjan's strongly connected components): every cycle
 * is reported at once, naming the resources in it.
 */
import type { Diagnostics } from '../errors.js';
import type { FlowSpec } from '../spec/types.js';
import type { NodePlan } from './plan.js';

/** True when the graph is acyclic. */
export function checkDag(nodes: NodePlan[], flow: FlowSpec, diagnostics: Diagnostics): boolean {
  const index = new Int32Array(nodes.length).fill(-1);
  const low = new Int32Array(nodes.length);
  const onStack = new Uint8Array(nodes.length);
  const stack: number[] = [];
  let counter = 0;
  let acyclic = true;

  const strongConnect = (v: number): void => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    for (const w of nodes[v]!.deps) {
      if (index[w] === -1) {
        strongConnect(w);
        low[v] = Math.min(low[v]!, low[w]!);
      } else if (onStack[w]) {
        low[v] = Math.min(low[v]!, index[w]!);
      }
    }
    if (low[v] !== index[v]) return;
    const component: number[] = [];
    let w: number;
    do {
      w = stack.pop()!;
      onStack[w] = 0;
      component.push(w);
    } while (w !== v);
    const selfLoop = component.length === 1 && nodes[v]!.deps.includes(v);
    if (component.length > 1 || selfLoop) {
      acyclic = false;
      component.sort((a, b) => a - b);
      const names = component.map((i) => `"${nodes[i]!.name}"`);
      const first = nodes[component[0]!]!;
      diagnostics.error(
        'MAESTRO_ERR_CYCLE',
        first.pos,
        `dependency cycle in ${flow.kind} "${flow.name}": ${[...names, names[0]].join(' → ')}`,
      );
    }
  };

  for (let v = 0; v < nodes.length; v++) if (index[v] === -1) strongConnect(v);
  return acyclic;
}

import type { Plan } from '../compile/plan.js';

/** One line: what a configuration defines. */
export function summarize(plan: Plan): string {
  const flows = plan.flows.filter((f) => f.kind === 'flow').length;
  const proxies = plan.flows.length - flows;
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : word.endsWith('y') ? '' : 's'}`;
  const proxyWord = proxies === 1 ? 'proxy' : 'proxies';
  return `configuration ok: ${count(flows, 'flow')}, ${proxies} ${proxyWord}, ${count(plan.endpoints.length, 'endpoint')}, ${count(plan.services.size, 'service')}`
    + (plan.warnings.length > 0 ? ` (${plan.warnings.length} warning${plan.warnings.length === 1 ? '' : 's'})` : '');
}

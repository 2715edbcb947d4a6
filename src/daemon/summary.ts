import type { Plan } from '../compile/plan.js';

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** One line: what a configuration defines. */
export function summarize(plan: Plan): string {
  const flows = plan.flows.filter((f) => f.kind === 'flow').length;
  const proxies = plan.flows.length - flows;
  const warnings = plan.warnings.length > 0 ? ` (${plural(plan.warnings.length, 'warning', 'warnings')})` : '';
  return (
    `configuration ok: ${plural(flows, 'flow', 'flows')}, ${plural(proxies, 'proxy', 'proxies')}, ` +
    `${plural(plan.endpoints.length, 'endpoint', 'endpoints')}, ${plural(plan.services.size, 'service', 'services')}${warnings}`
  );
}

/**
 * The /flows page: every flow and proxy drawn as the executor runs it (SVG from
 * src/graph, Graphviz as WebAssembly), with live figures — calls, errors, median
 * duration — under each resource in the picture and in a table beside it. The page
 * polls `/flows/figures` (JSON) and updates itself; it is one self-contained document
 * (inline style, script and SVG), so it needs no CDN and works offline.
 *
 * A plain handler `(method, path) → answer | undefined`, so any listener can mount it:
 * the HTTP, metrics and admin listeners do. Each configuration (each reload) has its
 * own page and figures. Pictures are drawn once, on the first request, and kept.
 */
import type { Plan } from '../compile/plan.js';
import { toDot } from '../graph/dot.js';
import { planGraphs, type FlowGraph } from '../graph/model.js';
import { renderSvg } from '../graph/svg.js';
import type { Spec } from '../spec/types.js';
import type { FlowStats } from './flow-stats.js';
import { FLOWS_PAGE_SCRIPT, FLOWS_PAGE_STYLE } from './flows-page-assets.js';

export const FLOWS_PATH = '/flows';
export const FIGURES_PATH = '/flows/figures';

export interface PageAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type PageHandler = (method: string, path: string) => Promise<PageAnswer | undefined>;

export function createFlowsPage(plan: Plan, spec: Spec | undefined, stats: FlowStats): PageHandler {
  let page: Promise<string> | undefined;
  return async (method, path): Promise<PageAnswer | undefined> => {
    if (path !== FLOWS_PATH && path !== FIGURES_PATH) return undefined;
    if (method !== 'GET' && method !== 'HEAD')
      return {
        status: 405,
        headers: { allow: 'GET, HEAD', 'content-type': 'text/plain' },
        body: 'method not allowed\n',
      };
    if (path === FIGURES_PATH) {
      return {
        status: 200,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        body: JSON.stringify({ flows: stats.figures() }),
      };
    }
    // Internal hosts stay off a page that may be served on the public listener.
    page ??= renderPage(planGraphs(plan, spec, undefined, { hosts: false }));
    try {
      return {
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
        body: await page,
      };
    } catch (error) {
      page = undefined;
      return {
        status: 500,
        headers: { 'content-type': 'text/plain' },
        body: `cannot draw the flows: ${(error as Error).message}\n`,
      };
    }
  };
}

async function renderPage(graphs: FlowGraph[]): Promise<string> {
  const sections = await Promise.all(
    graphs.map(async (graph, i) => {
      const svg = await renderSvg(toDot([graph], { figures: true, idPrefix: `flow${i}-` }));
      const resources = graph.nodes.filter((n) => n.kind === 'resource' || n.kind === 'value');
      const rows = resources
        .map(
          (n) =>
            `<tr data-resource="${html(n.resource ?? '')}" data-node="flow${i}-${n.id}"><td>${html(n.resource ?? '')}</td>` +
            `<td class="what">${html(n.lines[1] ?? '')}</td><td class="calls">0</td><td class="errors">0</td><td class="p50">–</td></tr>`,
        )
        .join('\n');
      return `<section class="flow" id="flow${i}" data-flow="${html(graph.flow)}">
<h2><span class="kind">${graph.kind}</span> ${html(graph.flow)}</h2>
<div class="body"><div class="picture">${stripProlog(svg)}</div>
<table class="figures"><thead><tr><th>resource</th><th>call</th><th>calls</th><th>errors</th><th>p50</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>
</section>`;
    }),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Maestro — flows</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${FLOWS_PAGE_STYLE}</style></head>
<body><header><h1>Maestro flows</h1><p>${graphs.length} flow(s) · figures since start, refreshed every second · <span id="updated">not yet updated</span></p></header>
<main>
${sections.join('\n')}
</main>
<script>${FLOWS_PAGE_SCRIPT}</script>
</body></html>
`;
}

/** Graphviz writes an XML prolog and a DOCTYPE, which have no place inside HTML. */
function stripProlog(svg: string): string {
  const start = svg.indexOf('<svg');
  return start < 0 ? svg : svg.slice(start);
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

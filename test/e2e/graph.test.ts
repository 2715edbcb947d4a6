/**
 * `maestro graph`, run as the built CLI: on the bundled example, on a fixture that has
 * every shape (before, values, nested if blocks, rollback, for-each, proxy), and on each
 * of Semaphore's examples. The Mermaid must be accepted by Mermaid's own parser (the
 * package's browser bundle, run in headless Chromium, offline) and the SVG must name every
 * resource. Skipped, saying why, when /usr/bin/chromium is absent.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { drawPlan, type GraphFormat } from '../../src/graph/index.js';
import { FlowStats } from '../../src/daemon/flow-stats.js';
import { createFlowsPage } from '../../src/daemon/flows-page.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(root, 'dist/cmd/maestro.js');
const MERMAID = join(root, 'node_modules/mermaid/dist/mermaid.min.js');
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`skipping the maestro graph test: ${CHROMIUM} is absent (apt-get install -y chromium)`);
const examples = join(root, '../shared/semaphore-examples/examples');

interface Case {
  name: string;
  config: string[];
  protos?: string[];
  env?: Record<string, string>;
}

/** The same configs the Semaphore example test validates, one case each. */
function exampleCases(): Case[] {
  if (!existsSync(examples)) {
    console.warn(`maestro graph: ${examples} is absent; Semaphore's examples are not drawn`);
    return [];
  }
  const cases: Case[] = [];
  for (const name of readdirSync(examples).sort()) {
    const dir = join(examples, name);
    if (existsSync(join(dir, 'config.hcl'))) cases.push({ name, config: [join(dir, 'config.hcl')] });
    else {
      const nested = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'config.hcl')));
      if (nested.length > 0)
        for (const d of nested) cases.push({ name: `${name}/${d}`, config: [join(dir, d, 'config.hcl')] });
      else cases.push({ name, config: [join(dir, 'flow.hcl')], protos: [join(dir, 'proto/*.proto')] });
    }
  }
  return cases;
}

const cases: Case[] = [
  {
    name: 'examples/shop',
    config: [join(root, 'examples/shop/config.hcl')],
    env: { SHOP_UPSTREAM: 'http://127.0.0.1:1', MAESTRO_HTTP: ':0' },
  },
  {
    name: 'fixture with every shape',
    config: [join(root, 'test/fixtures/graph/flows.hcl')],
    env: { UPSTREAM: 'http://127.0.0.1:1' },
  },
  {
    name: 'stream flow',
    config: [join(root, 'test/fixtures/stream/config.hcl')],
    env: { TICKER: '127.0.0.1:1', META: 'http://127.0.0.1:1', GRPC_ADDRESS: '127.0.0.1:0' },
  },
  ...exampleCases(),
];

async function graph(c: Case, format: string, flow?: string): Promise<string> {
  const args = [
    CLI,
    'graph',
    '--format',
    format,
    ...c.config.flatMap((f) => ['--config', f]),
    ...(c.protos ?? []).flatMap((p) => ['--proto', p]),
  ];
  if (flow) args.push('--flow', flow);
  const { stdout } = await run(process.execPath, args, {
    env: { ...process.env, ...c.env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

async function drawn(c: Case, format: GraphFormat, flow?: string): Promise<string> {
  const { plan, spec } = await loadPlan({ config: c.config, protos: c.protos, env: c.env ?? {} });
  return drawPlan(plan!, spec, format, flow);
}

/** Resource names of every flow of the config, read from the compiled plan. */
async function resourceNames(c: Case): Promise<{ flows: string[]; resources: string[] }> {
  const { plan } = await loadPlan({ config: c.config, protos: c.protos, env: c.env ?? {} });
  expect(plan, `${c.name} compiles`).toBeDefined();
  return { flows: plan!.flows.map((f) => f.name), resources: plan!.flows.flatMap((f) => f.nodes.map((n) => n.name)) };
}

/** Mermaid's parser: resolves to null when the text parses, or the parser's message. */
async function mermaidParse(page: Page, text: string): Promise<string | null> {
  return page.evaluate(async (source) => {
    const api = (globalThis as unknown as { mermaid: { parse(t: string): Promise<unknown> } }).mermaid;
    try {
      await api.parse(source);
      return null;
    } catch (error) {
      return String((error as Error).message ?? error);
    }
  }, text);
}

describe.skipIf(!hasChromium)('maestro graph', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    page = await browser.newPage();
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.addScriptTag({ path: MERMAID });
    await page.evaluate(() =>
      (globalThis as unknown as { mermaid: { initialize(o: unknown): void } }).mermaid.initialize({
        startOnLoad: false,
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('the parser used here refuses a broken chart (so acceptance below means something)', async () => {
    expect(await mermaidParse(page, 'flowchart TD\n  a["x"] --> \n  subgraph')).not.toBeNull();
  });

  it('the CLI prints Mermaid, DOT and SVG of the bundled example', async () => {
    const c = cases[0]!;
    const [mermaid, dot, svg] = await Promise.all([graph(c, 'mermaid'), graph(c, 'dot'), graph(c, 'svg')]);
    expect(mermaid).toBe(await drawn(c, 'mermaid'));
    expect(dot).toBe(await drawn(c, 'dot'));
    expect(svg).toBe(await drawn(c, 'svg'));
    expect(mermaid).toContain('f0_rollback_0 -.->|"compensates"| f0_resource_0');
  }, 60_000);

  // In-process from here (the same drawPlan the CLI prints): a process per format and
  // example would cost a minute on a shared machine.
  for (const c of cases) {
    it(`${c.name}: Mermaid that Mermaid parses, SVG naming every resource`, async () => {
      const { flows, resources } = await resourceNames(c);
      const mermaid = await drawn(c, 'mermaid');
      expect(mermaid.startsWith('flowchart TD\n')).toBe(true);
      expect(await mermaidParse(page, mermaid)).toBeNull();
      for (const name of resources) expect(mermaid).toContain(name);

      const svg = await drawn(c, 'svg');
      expect(svg).toMatch(/^<\?xml[^>]*>\s*<!DOCTYPE svg[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
      for (const name of resources) expect(svg).toContain(`>${escapeXml(name)}</text>`);
      if (flows.length > 1)
        for (const name of flows)
          expect(svg).toMatch(
            new RegExp(`>(flow|proxy) ${escapeXml(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</text>`),
          );

      // One flow alone is drawn without the per-flow frame, and parses too.
      const one = await drawn(c, 'mermaid', flows[0]);
      expect(one).not.toContain('subgraph f0_flow');
      expect(await mermaidParse(page, one)).toBeNull();
    }, 60_000);
  }

  it('draws what the executor runs: edges, before, condition groups, rollbacks, for-each and the proxy', async () => {
    const c = cases[1]!;
    const dot = await drawn(c, 'dot', 'checkout');
    // before runs first: every other call depends on it.
    expect(dot).toContain('f0_input -> f0_resource_0;');
    expect(dot).toContain('f0_resource_0 -> f0_resource_2;');
    // references and depends_on are edges; the rollback is a dashed edge to its resource.
    expect(dot).toContain('f0_resource_2 -> f0_resource_4;');
    expect(dot).toContain('f0_resource_3 -> f0_resource_4;');
    expect(dot).toContain('f0_rollback_2 -> f0_resource_2 [style=dashed, label="compensates"];');
    // nested if blocks are nested clusters, the inner one holding "express" only.
    expect(dot).toMatch(
      /subgraph cluster_f0_condition_0 \{\n\s+label="if \{\{ end:stock \}\} > 0 && \{\{ input:note \}\} != \\"#1 <b>\\"";[\s\S]*f0_resource_4 \[[\s\S]*subgraph cluster_f0_condition_1 \{\n\s+label="if \{\{ input:express \}\}";\n\s+style=dashed;\n\s+f0_resource_5 \[/,
    );
    expect(dot).toContain('label="lines\\nshop.Api.Get\\nfor each {{ input:items }}, ≤4 at once"');

    const proxy = await drawn(c, 'dot', 'gateway');
    expect(proxy).toContain('label="check\\nshop.Api.Get\\ncheck"');
    expect(proxy).toContain('label="forward\\nshop.Api\\nhttp://127.0.0.1:1\\nrewrite /v1/(?P<rest>.*) → /<rest>"');
    expect(proxy).toContain('f0_resource_0 -> f0_forward;');

    expect(await drawn(cases[2]!, 'dot')).toContain(
      'f0_resource_1 [label="ticks\\nticks.Ticker.Watch\\nserver stream"',
    );

    // A resource named like a Mermaid keyword is still a node.
    const mermaid = await drawn(c, 'mermaid', 'checkout');
    expect(mermaid).toContain('f0_resource_2["end<br/>shop.Api.Put"]');
    expect(mermaid).toContain('#34;#35;1 #60;b#62;#34;');
  }, 60_000);

  it('the /flows page draws the proxy without its internal host', async () => {
    const c = cases[1]!;
    const { plan, spec } = await loadPlan({ config: c.config, env: c.env ?? {} });
    const page = await createFlowsPage(plan!, spec, new FlowStats())('GET', '/flows');
    expect(page?.status).toBe(200);
    expect(page?.body).toContain('>forward</text>');
    expect(page?.body).toContain('>shop.Api</text>');
    expect(page?.body).not.toContain('127.0.0.1:1');
    expect(await drawn(c, 'dot', 'gateway')).toContain('http://127.0.0.1:1');
  });

  it('names the flows there are when --flow names none', async () => {
    const error = await graph(cases[0]!, 'mermaid', 'nope').then(
      () => undefined,
      (e: { stderr: string; code: number }) => e,
    );
    expect(error?.code).toBe(1);
    expect(error?.stderr).toContain('no flow or proxy named "nope" (there are: order, product)');
  });
});

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

import pino from 'pino';
/**
 * Shared by the GraphQL unit tests: the fixture schemas, hand-made endpoint plans, and
 * a runner that records requests and answers what the test says, so the listener is
 * tested without config, compile or upstreams.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlowPlan, GraphqlEndpointPlan } from '../../src/compile/plan.js';
import { Diagnostics, formatDiagnostic } from '../../src/errors.js';
import type { FlowRequest, FlowResult } from '../../src/flow/types.js';
import { loadSchemas } from '../../src/schema/index.js';
import type { MessageType, SchemaRegistry } from '../../src/schema/types.js';
import { Executor } from '../../src/flow/executor.js';
import type { FlowRunner } from '../../src/transport/listener.js';
import { NO_FLOWS } from './plan-fixtures.js';

export const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/graphql');

export async function loadFixtureSchemas(): Promise<SchemaRegistry> {
  const diagnostics = new Diagnostics();
  const pos = { file: path.join(fixtures, 'config.hcl'), line: 1, column: 1 };
  const registry = await loadSchemas(
    [
      { value: path.join(fixtures, 'users.proto'), pos },
      { value: path.join(fixtures, 'admin/admin.proto'), pos },
    ],
    diagnostics,
  );
  if (diagnostics.errors.length > 0) throw new Error(diagnostics.items.map(formatDiagnostic).join('\n'));
  return registry;
}

export function message(registry: SchemaRegistry, name: string): MessageType {
  const type = registry.messages.get(name);
  if (!type) throw new Error(`fixture message ${name} is missing`);
  return type;
}

let line = 0;

/** A flow with only what listeners read: name, input and output types. */
export function flowPlan(name: string, input: MessageType | undefined, output: MessageType | undefined): FlowPlan {
  const pos = { file: 'flows.hcl', line: ++line, column: 1 };
  return {
    name,
    kind: 'flow',
    input: { type: input, headers: [] },
    nodes: [],
    roots: [],
    pendingTemplate: [],
    output: output ? { type: output, header: [], body: () => ({}) } : undefined,
    errors: { onError: undefined, errorObject: undefined },
    forward: undefined,
    rewrites: [],
    pos,
  };
}

export function endpoint(
  flow: FlowPlan,
  path: string,
  base: 'query' | 'mutation' = 'query',
  name?: string,
): GraphqlEndpointPlan {
  return {
    protocol: 'graphql',
    flow,
    path: path.split('.'),
    base,
    name,
    pos: { file: 'flows.hcl', line: flow.pos.line + 100, column: 1 },
  };
}

type Answer = (flow: FlowPlan, request: FlowRequest) => FlowResult | Promise<FlowResult>;

/**
 * Records every request; answers with `answer` (default: echo the input as the body).
 * The real executor with a scripted `run`, so a listener can be tested on its own;
 * everything else (reject, drain) is Maestro's own code.
 */
export class FakeRunner extends Executor implements FlowRunner {
  readonly requests: Array<{ flow: string; request: FlowRequest }> = [];

  constructor(private readonly answer: Answer = (_flow, request) => ({ ok: true, header: {}, body: request.input })) {
    super({ logger: pino({ level: 'silent' }), plan: NO_FLOWS });
  }

  override async run(flow: FlowPlan, request: FlowRequest): Promise<FlowResult> {
    this.requests.push({ flow: flow.name, request });
    return this.answer(flow, request);
  }
}

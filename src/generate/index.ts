/**
 * `maestro generate <kind>`: documents describing what a configuration exposes, built from
 * the compiled plan: `openapi3` (HTTP endpoints, JSON), `graphql` (SDL), `protobuf` (.proto).
 */
import type { Plan } from '../compile/plan.js';
import { generateGraphql } from './graphql.js';
import { generateOpenapi } from './openapi.js';
import { generateProtobuf } from './protobuf.js';

import type { GenerateKind } from './kinds.js';

export { GENERATE_KINDS, type GenerateKind } from './kinds.js';

export interface Generated {
  text: string;
  /** What the document leaves out, for stderr. */
  notes: string[];
}

export function generate(kind: GenerateKind, plan: Plan): Generated {
  const exposed = (protocol: string) =>
    new Set(plan.endpoints.filter((e) => e.protocol === protocol).map((e) => e.flow.name));
  const notes = (protocol: string): string[] => {
    const here = exposed(protocol);
    const elsewhere = [...new Set(plan.endpoints.map((e) => e.flow.name))].filter((name) => !here.has(name));
    return elsewhere.length === 0 ? [] : [`not exposed over ${protocol}, so not described: ${elsewhere.join(', ')}`];
  };
  switch (kind) {
    case 'openapi3':
      return { text: `${JSON.stringify(generateOpenapi(plan), null, 2)}\n`, notes: notes('http') };
    case 'graphql':
      return { text: generateGraphql(plan), notes: notes('graphql') };
    case 'protobuf': {
      const proto = generateProtobuf(plan);
      return { text: proto.text, notes: [...notes('grpc'), ...proto.skipped.map((s) => `left out: ${s}`)] };
    }
  }
}

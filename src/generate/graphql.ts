/**
 * `maestro generate graphql`: the SDL of the schema the GraphQL listener serves, built by
 * the same code (so the two cannot drift) and printed with graphql-js.
 */
import { printSchema } from 'graphql';
import type { GraphqlEndpointPlan, Plan } from '../compile/plan.js';
import { buildGraphqlSchema } from '../transport/graphql/schema.js';
import type { FlowRunner } from '../transport/listener.js';

/** Never called: printing a schema resolves nothing. */
const NO_RUNNER: FlowRunner = {
  run: () => Promise.reject(new Error('generate does not run flows')),
  reject: () => {
    throw new Error('generate does not run flows');
  },
};

export function generateGraphql(plan: Plan): string {
  const endpoints = plan.endpoints.filter((e): e is GraphqlEndpointPlan => e.protocol === 'graphql');
  return printSchema(buildGraphqlSchema(endpoints, NO_RUNNER));
}

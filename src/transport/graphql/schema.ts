/**
 * The GraphQL schema of a plan, generated once when the listener is created. Dotted
 * endpoint paths nest fields under wrapper objects:
 *
 *   endpoint "profile" "graphql" { path = "user.get"  base = "query" }
 *
 *   type Query     { user: QueryUser }
 *   type QueryUser { get(id: String): Profile }      ← resolves the flow
 *
 * Wrappers resolve to an empty object so their fields run. A flow field is nullable:
 * when its flow fails only that field is null and the error lists its path.
 */
import {
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  validateSchema,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLOutputType,
} from 'graphql';
import type { GraphqlEndpointPlan } from '../../compile/plan.js';
import { Diagnostics, formatPos } from '../../errors.js';
import type { FlowRunner } from '../listener.js';
import { isGraphqlName, NameRegistry, pascal } from './names.js';
import { createFlowResolver, UNTYPED_INPUT_ARG, type GraphqlContext } from './resolver.js';
import { JsonScalar } from './scalars.js';
import { TypeMapper } from './type-mapper.js';

type FieldConfig = GraphQLFieldConfig<unknown, GraphqlContext>;

/** A level of the path tree: its fields are sub-levels or flow endpoints. */
interface Group {
  path: string[];
  fields: Map<string, Group | GraphqlEndpointPlan>;
}

const CODE = 'MAESTRO_ERR_GRAPHQL_SCHEMA';
const EMPTY = Object.freeze({});
const resolveWrapper = (): object => EMPTY;

/**
 * Builds the schema for the graphql endpoints; throws a ConfigError naming every
 * endpoint that cannot be placed (a path that is both a field and a prefix, or a
 * segment that is not a GraphQL name).
 */
export function buildGraphqlSchema(endpoints: readonly GraphqlEndpointPlan[], runner: FlowRunner): GraphQLSchema {
  const diagnostics = new Diagnostics();
  const roots = { query: group([]), mutation: group([]) };
  for (const endpoint of endpoints) place(roots[endpoint.base], endpoint, diagnostics);
  diagnostics.throwIfErrors();

  const names = new NameRegistry();
  const mapper = new TypeMapper(names);
  const build = (g: Group, base: 'Query' | 'Mutation'): Record<string, FieldConfig> => {
    const fields: Record<string, FieldConfig> = {};
    for (const [name, child] of g.fields) {
      if (!isGroup(child)) {
        fields[name] = flowField(child, mapper, runner);
        continue;
      }
      const typeName = names.claim(`wrapper ${base}.${child.path.join('.')}`, base + child.path.map(pascal).join(''));
      const childFields = build(child, base);
      fields[name] = { type: new GraphQLObjectType({ name: typeName, fields: childFields }), resolve: resolveWrapper };
    }
    return fields;
  };

  const queryFields = build(roots.query, 'Query');
  // A schema needs a Query type with at least one field, even when every flow is a mutation.
  if (Object.keys(queryFields).length === 0) queryFields._service = { type: GraphQLString, resolve: () => null };
  const mutationFields = build(roots.mutation, 'Mutation');
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: queryFields }),
    mutation:
      Object.keys(mutationFields).length > 0
        ? new GraphQLObjectType({ name: 'Mutation', fields: mutationFields })
        : undefined,
  });
  const problems = validateSchema(schema);
  if (problems.length > 0) {
    const pos = { file: '<graphql schema>', line: 0, column: 0 };
    for (const problem of problems) diagnostics.error(CODE, pos, `generated schema is invalid: ${problem.message}`);
    diagnostics.throwIfErrors();
  }
  return schema;
}

function flowField(endpoint: GraphqlEndpointPlan, mapper: TypeMapper, runner: FlowRunner): FieldConfig {
  const { flow } = endpoint;
  const inputType = flow.input.type;
  const outputType = flow.output?.type;
  const args: GraphQLFieldConfigArgumentMap = inputType
    ? mapper.argumentsOf(inputType)
    : { [UNTYPED_INPUT_ARG]: { type: JsonScalar } };
  const type: GraphQLOutputType = outputType ? mapper.outputType(outputType, endpoint.name) : JsonScalar;
  return {
    type,
    args,
    // No file position here: introspection is public, the config layout is not.
    description: `Runs flow "${flow.name}".`,
    resolve: createFlowResolver(flow, runner, inputType !== undefined, endpoint),
  };
}

/** Inserts an endpoint at its path, creating the wrapper levels on the way. */
function place(root: Group, endpoint: GraphqlEndpointPlan, diagnostics: Diagnostics): void {
  const path = endpoint.path;
  const where = `graphql ${endpoint.base} field "${path.join('.')}" of "${endpoint.flow.name}"`;
  const bad = path.find((segment) => !isGraphqlName(segment));
  if (path.length === 0 || bad !== undefined) {
    diagnostics.error(
      CODE,
      endpoint.pos,
      `${where}: "${bad ?? ''}" is not a GraphQL field name (letters, digits and _, not starting with a digit or __)`,
    );
    return;
  }
  let level = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const existing = level.fields.get(segment);
    const last = i === path.length - 1;
    if (existing === undefined) {
      if (last) {
        level.fields.set(segment, endpoint);
        return;
      }
      const next = group(path.slice(0, i + 1));
      level.fields.set(segment, next);
      level = next;
    } else if (isGroup(existing) && !last) {
      level = existing;
    } else {
      diagnostics.error(
        CODE,
        endpoint.pos,
        `${where} conflicts with ${describe(existing, endpoint.base)}: a field cannot be both a flow and a path prefix`,
      );
      return;
    }
  }
}

function describe(node: Group | GraphqlEndpointPlan, base: string): string {
  if (isGroup(node)) return `the fields under "${node.path.join('.')}"`;
  return `${base} field "${node.path.join('.')}" of "${node.flow.name}" (${formatPos(node.pos)})`;
}

function group(path: string[]): Group {
  return { path, fields: new Map() };
}

function isGroup(node: Group | GraphqlEndpointPlan): node is Group {
  return !('protocol' in node);
}

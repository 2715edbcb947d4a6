/**
 * `maestro generate openapi3`: an OpenAPI 3.0 document of the HTTP endpoints of a plan.
 * Each endpoint is one operation: httprouter paths become templates (`/users/:id` →
 * `/users/{id}`, `/v1/*path` → `/v1/{path}`), the flow's input is the request body of a
 * method with a body, its output the 200 answer; failures are `{status, message}`.
 */
import type { HttpEndpointPlan, Plan } from '../compile/plan.js';
import { ANY_OBJECT, scalarSchema, SchemaComponents, type JsonSchema } from './json-schema.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];
const BODYLESS = new Set(['get', 'head', 'delete', 'options']);
const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { status: { type: 'integer', format: 'int32' }, message: { type: 'string' } },
};

export function generateOpenapi(plan: Plan, title = 'Maestro flows', version = '1.0.0'): Record<string, unknown> {
  const components = new SchemaComponents();
  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Set<string>();
  for (const endpoint of plan.endpoints) {
    if (endpoint.protocol !== 'http') continue;
    const { template, names } = openapiPath(endpoint.path);
    const item = (paths[template] ??= {});
    const methods =
      endpoint.method === '*' ? ['get', 'post', 'put', 'patch', 'delete'] : [endpoint.method.toLowerCase()];
    for (const method of methods) {
      if (!METHODS.includes(method) || method in item) continue;
      item[method] = operation(endpoint, method, names, components, operationIds);
    }
  }
  return {
    openapi: '3.0.3',
    info: { title, version },
    paths,
    components: { schemas: { ...components.schemas, 'maestro.Error': ERROR_SCHEMA } },
  };
}

function operation(
  endpoint: HttpEndpointPlan,
  method: string,
  names: string[],
  components: SchemaComponents,
  ids: Set<string>,
): Record<string, unknown> {
  const { flow } = endpoint;
  let operationId = flow.name;
  for (let n = 2; ids.has(operationId); n++) operationId = `${flow.name}_${method}${n > 2 ? n : ''}`;
  ids.add(operationId);
  const codec = endpoint.responseCodec ?? endpoint.codec;
  const output = flow.kind === 'proxy' ? {} : flow.output?.type ? components.ref(flow.output.type) : ANY_OBJECT;
  const op: Record<string, unknown> = {
    operationId,
    summary: `${flow.kind} ${flow.name}`,
    parameters: [
      ...names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...queryParameters(endpoint, method, names),
    ],
    responses: {
      [String(endpoint.status || 200)]: {
        description: "the flow's output",
        content: { [codec.contentType]: { schema: output } },
      },
      default: {
        description: 'a failure: the error object',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/maestro.Error' } } },
      },
    },
  };
  if (!BODYLESS.has(method) && flow.kind === 'flow') {
    const input = flow.input.type ? components.ref(flow.input.type) : ANY_OBJECT;
    op.requestBody = {
      required: false,
      content: { [(endpoint.requestCodec ?? endpoint.codec).contentType]: { schema: input } },
    };
  }
  return op;
}

/** httprouter syntax → an OpenAPI path template and its parameter names. */
export function openapiPath(path: string): { template: string; names: string[] } {
  const names: string[] = [];
  const template = path.replace(/([:*])([A-Za-z_][A-Za-z0-9_]*)?/g, (_all, kind: string, name: string | undefined) => {
    if (name === undefined) {
      if (kind === ':') return ':';
      names.push('path');
      return '{path}';
    }
    names.push(name);
    return `{${name}}`;
  });
  return { template, names };
}

/**
 * A bodiless method's typed input is read from the query string (Semaphore's rule: a
 * parameter fills the input field of its name): its scalar fields are query parameters.
 */
function queryParameters(endpoint: HttpEndpointPlan, method: string, pathNames: string[]): Record<string, unknown>[] {
  const type = endpoint.flow.input.type;
  if (!type || !BODYLESS.has(method) || endpoint.flow.kind !== 'flow') return [];
  return type.fieldList
    .filter(
      (field) =>
        !pathNames.includes(field.name) && !field.repeated && (field.kind === 'scalar' || field.kind === 'enum'),
    )
    .map((field) => ({
      name: field.name,
      in: 'query',
      required: false,
      schema: field.enum
        ? { type: 'string', enum: [...field.enum.values.keys()] }
        : scalarSchema(field.scalar ?? 'string'),
    }));
}

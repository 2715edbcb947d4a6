/**
 * Flows that answer a stream: a resource that calls a gRPC server-streaming method makes
 * its flow a stream flow, served over HTTP as Server-Sent Events or a websocket, one
 * event per upstream message, each mapped by the output block (which reads the current
 * message as that resource's answer). The other resources run first, as usual.
 *
 * What compile refuses, with the position: two streaming resources in one flow, a
 * resource that reads the streaming one (it has no single answer), a rollback, for_each
 * or a non-gRPC transport on it, a client-streaming or bidi method in a flow, and a
 * stream flow on a GraphQL endpoint or on a gRPC method not declared server-streaming.
 */
import type { Diagnostics } from '../errors.js';
import type { SchemaRegistry } from '../schema/types.js';
import type { EndpointPlan, ExecContext, FlowPlan, NodePlan } from './plan.js';

/** Sets `flow.stream` when one resource calls a server-streaming method. */
export function compileStream(flow: FlowPlan, diagnostics: Diagnostics): FlowPlan {
  const label = `${flow.kind} "${flow.name}"`;
  const streaming: NodePlan[] = [];
  for (const node of flow.nodes) {
    const method = node.call?.method;
    if (!method) continue;
    if (method.requestStream) {
      diagnostics.error(
        'MAESTRO_ERR_STREAM',
        node.call!.pos,
        `resource "${node.name}" of ${label} calls ${node.call!.service.fullName}.${method.name}, a client-streaming method; flows call unary and server-streaming methods only`,
      );
    } else if (method.responseStream) {
      streaming.push(node);
    }
  }
  if (streaming.length === 0) return flow;
  const [node, ...others] = streaming;
  const where = `resource "${node!.name}" of ${label}`;
  const fail = (message: string, pos = node!.pos): FlowPlan => {
    diagnostics.error('MAESTRO_ERR_STREAM', pos, message);
    return flow;
  };
  if (flow.kind === 'proxy') return fail(`${where} calls a server-streaming method; a proxy's resources must be unary`);
  if (others.length > 0)
    return fail(
      `${label} has two resources that call server-streaming methods ("${node!.name}", "${others[0]!.name}"); a flow answers one stream`,
      others[0]!.pos,
    );
  if (node!.call!.service.transport !== 'grpc')
    return fail(
      `${where} calls a server-streaming method over ${node!.call!.service.transport}; streams are called over gRPC`,
    );
  if (node!.forEach) return fail(`${where} calls a server-streaming method; it cannot also have for_each`);
  if (node!.rollback)
    return fail(`${where} calls a server-streaming method; it cannot have a rollback`, node!.rollback.pos);
  const reader = flow.nodes.find((n) => n.deps.includes(node!.index));
  if (reader)
    return fail(
      `resource "${reader.name}" of ${label} reads "${node!.name}", which answers a stream; only the output may read it`,
      reader.pos,
    );
  return { ...flow, stream: { node: node!.index, prelude: prelude(flow, node!) } };
}

/**
 * The flow without its streaming call, answering the request context as its output, so
 * the stream is opened on the very context the other resources filled.
 */
function prelude(flow: FlowPlan, streaming: NodePlan): FlowPlan {
  const skipped: NodePlan = {
    ...streaming,
    kind: 'value',
    call: undefined,
    rollback: undefined,
    value: () => undefined,
  };
  const nodes = flow.nodes.map((n) => (n === streaming ? skipped : n));
  return { ...flow, nodes, output: { type: undefined, header: [], body: (ctx: ExecContext) => ctx } };
}

/**
 * Stream flows are served over HTTP (SSE and websockets) and over gRPC on a method that
 * a proto declares server-streaming (`returns (stream T)`); not over GraphQL. A proxy on
 * a gRPC endpoint relays calls, streams included, to a gRPC target only.
 */
export function checkStreamEndpoints(
  endpoints: readonly EndpointPlan[],
  schemas: SchemaRegistry,
  diagnostics: Diagnostics,
): void {
  for (const endpoint of endpoints) {
    const forward = endpoint.flow.forward;
    if (endpoint.protocol === 'grpc' && forward && forward.service.transport !== 'grpc') {
      diagnostics.error(
        'MAESTRO_ERR_STREAM',
        endpoint.pos,
        `proxy "${endpoint.flow.name}" on a gRPC endpoint relays gRPC calls, but its forward target ${forward.service.fullName} uses ${forward.service.transport}`,
      );
    }
    if (endpoint.protocol !== 'grpc' && forward && !forward.target) {
      diagnostics.error(
        'MAESTRO_ERR_FORWARD',
        endpoint.pos,
        `proxy "${endpoint.flow.name}" on an ${endpoint.protocol} endpoint forwards HTTP, but its forward target ${forward.service.fullName} uses ${forward.service.transport}`,
      );
    }
    if (!endpoint.flow.stream || endpoint.protocol === 'http') continue;
    if (endpoint.protocol === 'grpc') {
      const service = endpoint.package ? `${endpoint.package}.${endpoint.service}` : endpoint.service;
      const method = schemas.services.get(service)?.methods.get(endpoint.method);
      if (method?.responseStream && !method.requestStream) continue;
      diagnostics.error(
        'MAESTRO_ERR_STREAM',
        endpoint.pos,
        `flow "${endpoint.flow.name}" answers a stream; its gRPC endpoint ${service}/${endpoint.method} must be declared server-streaming in a proto (returns (stream T))`,
      );
      continue;
    }
    diagnostics.error(
      'MAESTRO_ERR_STREAM',
      endpoint.pos,
      `flow "${endpoint.flow.name}" answers a stream, which is served over HTTP (Server-Sent Events or a websocket) or gRPC, not over ${endpoint.protocol}`,
    );
  }
}

/**
 * The unary handler of one gRPC endpoint, built once: decode the request message, run
 * the flow, answer the output message or a status. The one place where a failed flow
 * becomes a gRPC status for this listener.
 *
 *   metadata ─▶ FlowRequest.header        output header ─▶ response headers (metadata)
 *   message  ─▶ FlowRequest.input         output body   ─▶ message
 *                                         failure       ─▶ httpToGrpc(status), grpc-message = message
 */
import type { Logger } from 'pino';
import type { GrpcEndpointPlan } from '../../compile/plan.js';
import type { FlowRequest } from '../../flow/types.js';
import type { FlowRunner } from '../listener.js';
import { requestIdFrom } from '../shared/request-id.js';
import { Code } from './codes.js';
import { metadataHeaders } from './h2-metadata.js';
import type { MessageCodec } from './message.js';
import type { GrpcRoute } from './server.js';
import type { GrpcCall } from './server-call.js';
import { httpToGrpc } from './status.js';

export interface UnaryHandlerOptions {
  endpoint: GrpcEndpointPlan;
  request: MessageCodec;
  response: MessageCodec;
  executor: FlowRunner;
  logger: Logger;
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export function createUnaryHandler(options: UnaryHandlerOptions): GrpcRoute {
  const { endpoint, request, response, executor, logger } = options;
  const { flow } = endpoint;
  const path = `/${endpoint.package ? `${endpoint.package}.` : ''}${endpoint.service}/${endpoint.method}`;

  const handle = (call: GrpcCall, message: Buffer | undefined): void => {
    let input: Record<string, unknown>;
    try {
      input = request.decode(message!);
    } catch (error) {
      call.end(Code.INVALID_ARGUMENT, `invalid ${request.typeName} message: ${(error as Error).message}`);
      return;
    }
    const requestId = requestIdFrom(call.header['x-request-id']);
    const flowRequest: FlowRequest = {
      input,
      header: call.header,
      params: NO_PARAMS,
      requestId,
      signal: call.signal,
      remoteAddress: call.remoteAddress,
      endpoint,
      deadline: call.deadline,
    };

    executor.run(flow, flowRequest).then(
      (result) => {
        if (call.done) return; // the client went away
        const metadata = metadataHeaders(result.header);
        metadata['x-request-id'] = requestId;
        if (!result.ok) {
          // Trailers-only answer: the headers travel with the status.
          call.end(httpToGrpc(result.status), result.message, metadata);
          return;
        }
        let payload: Buffer;
        try {
          payload = response.encode(result.body);
        } catch (error) {
          logger.error({ err: error, flow: flow.name, requestId, path }, 'flow output does not fit the response type');
          call.end(
            Code.INTERNAL,
            `output of flow "${flow.name}" does not fit ${response.typeName}: ${(error as Error).message}`,
            metadata,
          );
          return;
        }
        call.answer(payload, metadata);
      },
      (error: unknown) => {
        // The executor answers flow failures; reaching here is a bug, never leaked to the client.
        logger.error({ err: error, flow: flow.name, requestId, path }, 'flow crashed');
        call.end(Code.INTERNAL, 'internal error');
      },
    );
  };
  return { kind: 'unary', handle };
}

/** The client's IP from a grpc-js style peer string: `ipv4:127.0.0.1:5000`, `[::1]:5000`, `127.0.0.1:5000`. */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  if (bare.startsWith('[')) return bare.slice(1, bare.indexOf(']'));
  const colon = bare.lastIndexOf(':');
  const port = bare.slice(colon + 1);
  return colon > 0 && bare.indexOf(':') === colon && port !== '' && /^\d+$/.test(port) ? bare.slice(0, colon) : bare;
}

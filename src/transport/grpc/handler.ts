/**
 * The unary handler of one gRPC endpoint, built once: decode the request message, run
 * the flow, answer the output message or a status. The one place where a failed flow
 * becomes a gRPC status for this listener.
 *
 *   metadata ─▶ FlowRequest.header        output header ─▶ initial metadata
 *   message  ─▶ FlowRequest.input         output body   ─▶ message
 *                                         failure       ─▶ httpToGrpc(status), details = message
 */
import {
  Metadata,
  status as Code,
  type handleUnaryCall,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { GrpcEndpointPlan } from '../../compile/plan.js';
import type { FlowRequest } from '../../flow/types.js';
import type { FlowRunner } from '../listener.js';
import { requestIdFrom } from '../shared/request-id.js';
import type { MessageCodec } from './message.js';
import { metadataToRequestHeaders, setMetadata } from './metadata.js';
import { httpToGrpc } from './status.js';

export interface UnaryHandlerOptions {
  endpoint: GrpcEndpointPlan;
  request: MessageCodec;
  response: MessageCodec;
  executor: FlowRunner;
  logger: Logger;
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** The client's deadline in ms since the epoch, or undefined when it set none. */
function deadlineOf(call: ServerUnaryCall<Buffer, Buffer>): number | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}

export function createUnaryHandler(options: UnaryHandlerOptions): handleUnaryCall<Buffer, Buffer> {
  const { endpoint, request, response, executor, logger } = options;
  const { flow } = endpoint;
  const path = `/${endpoint.package ? `${endpoint.package}.` : ''}${endpoint.service}/${endpoint.method}`;

  return function handleGrpc(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void {
    let input: Record<string, unknown>;
    try {
      input = request.decode(call.request);
    } catch (error) {
      callback({
        code: Code.INVALID_ARGUMENT,
        details: `invalid ${request.typeName} message: ${(error as Error).message}`,
      });
      return;
    }
    const header = metadataToRequestHeaders(call.metadata);
    const incomingId = header['x-request-id'];
    const requestId = requestIdFrom(incomingId);

    // 'cancelled' covers a client that cancels, disconnects or lets its deadline pass.
    const controller = new AbortController();
    const onCancelled = (): void => controller.abort();
    call.once('cancelled', onCancelled);
    const flowRequest: FlowRequest = {
      input,
      header,
      params: NO_PARAMS,
      requestId,
      signal: controller.signal,
      remoteAddress: peerAddress(call.getPeer()),
      endpoint,
      deadline: deadlineOf(call),
    };

    executor.run(flow, flowRequest).then(
      (result) => {
        call.removeListener('cancelled', onCancelled);
        if (call.cancelled) return;
        const metadata = setMetadata(new Metadata(), result.header);
        metadata.set('x-request-id', requestId);
        if (!result.ok) {
          // Trailers-only answer: the headers travel with the status.
          callback({ code: httpToGrpc(result.status), details: result.message, metadata });
          return;
        }
        let payload: Buffer;
        try {
          payload = response.encode(result.body);
        } catch (error) {
          logger.error({ err: error, flow: flow.name, requestId, path }, 'flow output does not fit the response type');
          callback({
            code: Code.INTERNAL,
            details: `output of flow "${flow.name}" does not fit ${response.typeName}: ${(error as Error).message}`,
            metadata,
          });
          return;
        }
        call.sendMetadata(metadata);
        callback(null, payload);
      },
      (error: unknown) => {
        // The executor answers flow failures; reaching here is a bug, never leaked to the client.
        call.removeListener('cancelled', onCancelled);
        logger.error({ err: error, flow: flow.name, requestId, path }, 'flow crashed');
        callback({ code: Code.INTERNAL, details: 'internal error' });
      },
    );
  };
}

/** The client's IP from grpc-js' peer string: `ipv4:127.0.0.1:5000`, `[::1]:5000`, `127.0.0.1:5000`. */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  if (bare.startsWith('[')) return bare.slice(1, bare.indexOf(']'));
  const colon = bare.lastIndexOf(':');
  const port = bare.slice(colon + 1);
  return colon > 0 && bare.indexOf(':') === colon && port !== '' && /^\d+$/.test(port) ? bare.slice(0, colon) : bare;
}

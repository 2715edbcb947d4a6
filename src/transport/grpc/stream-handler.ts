/**
 * The server-streaming handler of a gRPC endpoint whose flow answers a stream
 * (compile/stream.ts): decode the request, run the flow's other resources, then write
 * one response message per upstream message, mapped by the output. A failure before the
 * first message is a plain status; after it, the status ends the stream. Each write
 * waits for the client's flow-control window, so backpressure reaches the upstream; a
 * client that cancels (or whose deadline passes) cancels the upstream call.
 */
import { once } from 'node:events';
import type { Logger } from 'pino';
import type { GrpcEndpointPlan } from '../../compile/plan.js';
import { CallError } from '../../errors.js';
import { openFlowStream } from '../../flow/stream.js';
import type { FlowRunner } from '../listener.js';
import { requestIdFrom } from '../shared/request-id.js';
import { Code } from './codes.js';
import { metadataHeaders } from './h2-metadata.js';
import type { MessageCodec } from './message.js';
import type { GrpcRoute } from './server.js';
import type { GrpcCall } from './server-call.js';
import { httpToGrpc } from './status.js';

export interface StreamHandlerOptions {
  endpoint: GrpcEndpointPlan;
  request: MessageCodec;
  response: MessageCodec;
  executor: FlowRunner;
  logger: Logger;
}

export function createServerStreamHandler(options: StreamHandlerOptions): GrpcRoute {
  const { endpoint, request, response, executor, logger } = options;
  const { flow } = endpoint;

  const handle = (call: GrpcCall, message: Buffer | undefined): void => {
    let input: Record<string, unknown>;
    try {
      input = request.decode(message!);
    } catch (error) {
      return call.end(Code.INVALID_ARGUMENT, `invalid ${request.typeName} message: ${(error as Error).message}`);
    }
    const requestId = requestIdFrom(call.header['x-request-id']);
    const { signal } = call;
    call.enforceDeadline();

    (async () => {
      const opened = await openFlowStream(
        flow,
        { input, header: call.header, params: {}, requestId, signal },
        executor,
      );
      const metadata = metadataHeaders(opened.header);
      metadata['x-request-id'] = requestId;
      if (!opened.ok) return call.end(httpToGrpc(opened.status), opened.message, metadata);
      call.sendHeaders(metadata);
      for await (const event of opened.events) {
        if (!call.write(response.encode(event))) await once(call.stream, 'drain', { signal });
      }
      call.end(Code.OK, '');
    })().catch((error: unknown) => {
      if (signal.aborted) return; // the client cancelled; so was the upstream call
      const status = error instanceof CallError ? error.status : 500;
      if (!(error instanceof CallError)) logger.error({ err: error, flow: flow.name, requestId }, 'stream failed');
      call.end(httpToGrpc(status), error instanceof CallError ? error.message : 'internal error');
    });
  };
  return { kind: 'serverStream', handle };
}

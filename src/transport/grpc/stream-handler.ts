/**
 * The server-streaming handler of a gRPC endpoint whose flow answers a stream
 * (compile/stream.ts): decode the request, run the flow's other resources, then write
 * one response message per upstream message, mapped by the output. A failure before the
 * first message is a plain status; after it, the status ends the stream. Each write
 * waits for the client's flow-control window, so backpressure reaches the upstream; a
 * client that cancels cancels the upstream call.
 */
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Metadata, status as Code, type handleServerStreamingCall, type ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { GrpcEndpointPlan } from '../../compile/plan.js';
import { CallError } from '../../errors.js';
import { openFlowStream } from '../../flow/stream.js';
import type { FlowRunner } from '../listener.js';
import type { MessageCodec } from './message.js';
import { metadataToRequestHeaders, setMetadata } from './metadata.js';
import { httpToGrpc } from './status.js';

export interface StreamHandlerOptions {
  endpoint: GrpcEndpointPlan;
  request: MessageCodec;
  response: MessageCodec;
  executor: FlowRunner;
  logger: Logger;
}

export function createServerStreamHandler(options: StreamHandlerOptions): handleServerStreamingCall<Buffer, Buffer> {
  const { endpoint, request, response, executor, logger } = options;
  const { flow } = endpoint;

  return function handleGrpcStream(call: ServerWritableStream<Buffer, Buffer>): void {
    const fail = (code: Code, details: string, metadata?: Metadata): void => {
      if (!call.cancelled) call.emit('error', { code, details, metadata });
    };
    let input: Record<string, unknown>;
    try {
      input = request.decode(call.request);
    } catch (error) {
      return fail(Code.INVALID_ARGUMENT, `invalid ${request.typeName} message: ${(error as Error).message}`);
    }
    const header = metadataToRequestHeaders(call.metadata);
    const incomingId = header['x-request-id'];
    const requestId = typeof incomingId === 'string' && incomingId !== '' ? incomingId : randomUUID();
    const controller = new AbortController();
    call.once('cancelled', () => controller.abort());
    const { signal } = controller;

    (async () => {
      const opened = await openFlowStream(flow, { input, header, params: {}, requestId, signal }, executor);
      const metadata = setMetadata(new Metadata(), opened.header);
      metadata.set('x-request-id', requestId);
      if (!opened.ok) return fail(httpToGrpc(opened.status), opened.message, metadata);
      call.sendMetadata(metadata);
      for await (const event of opened.events) {
        if (!call.write(response.encode(event))) await once(call, 'drain', { signal });
      }
      call.end();
    })().catch((error: unknown) => {
      if (signal.aborted) return; // the client cancelled; so was the upstream call
      const status = error instanceof CallError ? error.status : 500;
      if (!(error instanceof CallError)) logger.error({ err: error, flow: flow.name, requestId }, 'stream failed');
      fail(httpToGrpc(status), error instanceof CallError ? error.message : 'internal error');
    });
  };
}

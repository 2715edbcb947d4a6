/**
 * Server-streaming gRPC calls for stream flows: `prepare()` builds the path and codecs
 * once; each call returns the decoded messages as an async iterable. grpc-js asks the
 * channel for the next message only when the reader wants one, so a slow SSE or
 * websocket client slows the upstream through HTTP/2 flow control instead of filling
 * memory. Leaving the loop early or aborting `signal` cancels the call (the upstream
 * sees CANCELLED); a non-OK status ends the iteration with a CallError.
 *
 * It keeps its own channels (one per target), apart from the unary caller's.
 */
import { Client, credentials, Metadata, status as Code, type ClientReadableStream } from '@grpc/grpc-js';
import type { CallPlan, GrpcHost, OutgoingCall, PreparedStream } from '../../compile/plan.js';
import { CallError } from '../../errors.js';
import { decodeUpstreamMessage, messageCodec } from './message.js';
import { setMetadata } from './metadata.js';
import { grpcCodeName, grpcToHttp } from './status.js';

export interface StreamCaller {
  prepare(call: CallPlan): PreparedStream;
  close(): Promise<void>;
}

const passThrough = (value: Buffer): Buffer => value;

export function createGrpcStreamCaller(): StreamCaller {
  const clients = new Map<string, Client>();
  const clientFor = ({ target, secure }: GrpcHost): Client => {
    const key = `${secure ? 's' : ''}|${target}`;
    let client = clients.get(key);
    if (!client)
      clients.set(key, (client = new Client(target, secure ? credentials.createSsl() : credentials.createInsecure())));
    return client;
  };
  return {
    prepare(call: CallPlan): PreparedStream {
      const what = `${call.service.fullName}.${call.method.name}`;
      const path = `/${call.service.fullName}/${call.method.name}`;
      const request = messageCodec(call.method.requestType);
      const response = messageCodec(call.method.responseType);
      const target = call.service.grpc ?? { target: call.service.host, secure: false };
      return async function* openStream(out: OutgoingCall, signal: AbortSignal): AsyncGenerator<unknown> {
        if (signal.aborted) throw new CallError(`call to ${what} aborted: the client went away`, 499);
        const payload = request.encode(out.body);
        const metadata = setMetadata(new Metadata(), out.headers);
        metadata.set('x-request-id', out.requestId);
        // The whole stream may last as long as the client listens: no deadline here.
        const stream: ClientReadableStream<Buffer> = clientFor(target).makeServerStreamRequest<Buffer, Buffer>(
          path,
          passThrough,
          passThrough,
          payload,
          metadata,
        );
        let failure: CallError | undefined;
        stream.on('error', (error: Error & { code?: number; details?: string }) => {
          const code = error.code ?? Code.UNKNOWN;
          if (code === Code.CANCELLED && signal.aborted)
            failure = new CallError(`call to ${what} aborted: the client went away`, 499);
          else
            failure = new CallError(
              `upstream ${what} failed: ${error.details || grpcCodeName(code)}`,
              grpcToHttp(code),
              { body: { message: error.details, code } },
            );
        });
        const onAbort = (): void => stream.cancel();
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          for await (const bytes of stream as AsyncIterable<Buffer>) {
            yield decodeUpstreamMessage(response, bytes, what, 'sent');
          }
        } catch (error) {
          throw failure ?? error;
        } finally {
          signal.removeEventListener('abort', onAbort);
          // Still open when the reader stopped early or failed: tell the upstream.
          stream.cancel();
        }
        if (failure) throw failure;
      };
    },
    async close(): Promise<void> {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}

/**
 * A proxy flow on a gRPC endpoint: the proxy's resources run first (they may refuse the
 * call), then the call is relayed to the forward target's same method, message bytes as
 * they are, in both directions — unary, server-, client-streaming and bidi alike, since
 * on the wire they are all one HTTP/2 stream of framed messages:
 *
 *   client ══ messages ══▶ maestro ══ messages ══▶ target /pkg.Service/Method
 *          ◀═ messages, metadata, status ══════════
 *
 * Each side is paused while the other cannot take more (backpressure both ways); a
 * client that cancels cancels the target call; the target's status, trailers and
 * initial metadata reach the client.
 */
import { randomUUID } from 'node:crypto';
import {
  Client,
  credentials,
  Metadata,
  status as Code,
  type ClientDuplexStream,
  type handleBidiStreamingCall,
  type ServerDuplexStream,
  type StatusObject,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { GrpcEndpointPlan, GrpcHost } from '../../compile/plan.js';
import type { FlowRunner } from '../listener.js';
import { metadataToRequestHeaders, setMetadata } from './metadata.js';
import { httpToGrpc } from './status.js';

export interface ProxyHandlerOptions {
  endpoint: GrpcEndpointPlan;
  executor: FlowRunner;
  logger: Logger;
  /** The target's channel, shared by every method relayed to it. */
  client: Client;
}

const passThrough = (value: Buffer): Buffer => value;
// Hop-by-hop metadata grpc-js sets itself on the next call.
const NOT_FORWARDED = new Set([
  'grpc-timeout',
  'user-agent',
  'content-type',
  'te',
  'host',
  'grpc-accept-encoding',
  'grpc-encoding',
  'accept-encoding',
]);

/** One channel per forward target host, for the listener to share and close. */
export function createTargetClients(): { clientFor(host: GrpcHost): Client; close(): void } {
  const clients = new Map<string, Client>();
  return {
    clientFor({ target, secure }) {
      const key = `${secure ? 's' : ''}|${target}`;
      let client = clients.get(key);
      if (!client)
        clients.set(
          key,
          (client = new Client(target, secure ? credentials.createSsl() : credentials.createInsecure())),
        );
      return client;
    },
    close() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}

export function createProxyHandler(options: ProxyHandlerOptions): handleBidiStreamingCall<Buffer, Buffer> {
  const { endpoint, executor, logger, client } = options;
  const { flow } = endpoint;
  const path = `/${endpoint.package ? `${endpoint.package}.` : ''}${endpoint.service}/${endpoint.method}`;

  return function relay(incoming: ServerDuplexStream<Buffer, Buffer>): void {
    const header = metadataToRequestHeaders(incoming.metadata);
    const incomingId = header['x-request-id'];
    const requestId = typeof incomingId === 'string' && incomingId !== '' ? incomingId : randomUUID();
    const controller = new AbortController();
    incoming.once('cancelled', () => controller.abort());
    // Held until the target call exists; the proxy's resources run meanwhile.
    incoming.pause();

    executor.run(flow, { input: {}, header, params: {}, requestId, signal: controller.signal }).then(
      (result) => {
        if (controller.signal.aborted) return;
        if (!result.ok) {
          incoming.emit('error', {
            code: httpToGrpc(result.status),
            details: result.message,
            metadata: setMetadata(new Metadata(), { 'x-request-id': requestId }),
          });
          return;
        }
        const metadata = new Metadata();
        for (const [key, values] of Object.entries(incoming.metadata.toJSON())) {
          if (NOT_FORWARDED.has(key)) continue;
          for (const value of values) metadata.add(key, value);
        }
        setMetadata(metadata, result.header);
        metadata.set('x-request-id', requestId);
        const deadline = incoming.getDeadline();
        const target = client.makeBidiStreamRequest<Buffer, Buffer>(
          path,
          passThrough,
          passThrough,
          metadata,
          deadline === Infinity ? {} : { deadline },
        );
        controller.signal.addEventListener('abort', () => target.cancel(), { once: true });
        pipe(incoming, target, logger, requestId);
      },
      (error: unknown) => {
        logger.error({ err: error, flow: flow.name, requestId, path }, 'proxy flow crashed');
        incoming.emit('error', { code: Code.INTERNAL, details: 'internal error' });
      },
    );
  };
}

function pipe(
  incoming: ServerDuplexStream<Buffer, Buffer>,
  target: ClientDuplexStream<Buffer, Buffer>,
  logger: Logger,
  requestId: string,
): void {
  // client → target
  incoming.on('data', (message: Buffer) => {
    if (!target.write(message)) incoming.pause();
  });
  target.on('drain', () => incoming.resume());
  incoming.on('end', () => target.end());
  incoming.resume();
  // target → client
  target.on('metadata', (metadata: Metadata) => incoming.sendMetadata(metadata));
  target.on('data', (message: Buffer) => {
    if (!incoming.write(message)) target.pause();
  });
  incoming.on('drain', () => target.resume());
  target.on('error', () => {}); // the status below carries it
  target.on('status', (status: StatusObject) => {
    if (incoming.cancelled) return;
    if (status.code !== Code.OK) {
      incoming.emit('error', { code: status.code, details: status.details, metadata: status.metadata });
    } else if (target.readableEnded) {
      incoming.end(status.metadata);
    } else {
      // Messages may still wait in the target's buffer (paused): relay them first.
      target.once('end', () => incoming.end(status.metadata));
    }
    logger.debug({ requestId, code: status.code }, 'grpc relay finished');
  });
}

/**
 * Which gRPC targets the node:http2 caller can dial itself. Compile parses a service's
 * host into a GrpcHost (compile/upstream.ts); resolver syntax (`dns:///`, `unix:///`) is
 * kept whole there and left to grpc-js.
 */
export type { GrpcHost as GrpcTarget } from '../../compile/plan.js';

/** A target only grpc-js can dial (a resolver scheme such as dns:/// or unix:///). */
export function needsResolver(target: string): boolean {
  return (
    target.includes(':///') || target.startsWith('unix:') || target.startsWith('ipv4:') || target.startsWith('ipv6:')
  );
}

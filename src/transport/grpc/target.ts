/**
 * Where a gRPC service's `host` dials. Semaphore hosts are `host:port`; an `http://`
 * prefix some configs carry is dropped, `https://` or `grpcs://` asks for TLS. Resolver
 * syntax (`dns:///`, `unix:///`) is kept whole for grpc-js. (caller.ts keeps its own copy of
 * parseGrpcTarget so this branch leaves that file alone; one can re-export the other.)
 */
export interface GrpcTarget {
  /** What is dialled: `host:port`, `dns:///host:port`, `unix:///path`. */
  target: string;
  /** `https://` or `grpcs://` in the configured host asks for TLS. */
  secure: boolean;
}

const SCHEME = /^(https?|grpcs?):\/\//i;

export function parseGrpcTarget(host: string): GrpcTarget {
  let text = host.trim();
  let secure = false;
  const scheme = SCHEME.exec(text);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    secure = name === 'https' || name === 'grpcs';
    text = text.slice(scheme[0].length).replace(/\/+$/, '');
  }
  return { target: text, secure };
}

/** A target only grpc-js can dial (a resolver scheme such as dns:/// or unix:///). */
export function needsResolver(target: string): boolean {
  return target.includes(':///') || target.startsWith('unix:') || target.startsWith('ipv4:') || target.startsWith('ipv6:');
}

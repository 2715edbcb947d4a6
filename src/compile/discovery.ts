/**
 * `resolver = "<name>"` on a service (or a `services { select }`): the host's name is
 * looked up at call time instead of used as written. The name is a `discovery "<name>"`
 * block (provider consul), or `dns` for SRV/A records. Checked here once, with positions.
 */
import { didYouMean, type Diagnostics } from '../errors.js';
import type { DiscoverySpec, Positioned } from '../spec/types.js';
import type { DiscoveryLookup, DiscoveryPlan, DiscoverySource, GrpcHost, HttpHost } from './plan.js';

const PROVIDERS = new Set(['consul']);

export function compileDiscovery(
  resolver: Positioned<string> | undefined,
  blocks: readonly DiscoverySpec[],
  service: string,
  transport: string,
  diagnostics: Diagnostics,
): DiscoverySource | undefined {
  if (!resolver || resolver.value === '') return undefined;
  if (transport !== 'http' && transport !== 'grpc') {
    diagnostics.warn(
      'MAESTRO_WARN_DISCOVERY',
      resolver.pos,
      `service "${service}" uses resolver "${resolver.value}": discovery is served for HTTP and gRPC services only; the host is used as written`,
    );
    return undefined;
  }
  // The last block of a name wins, so a file given later (an environment's) can re-point it.
  let block: DiscoverySpec | undefined;
  for (const b of blocks) if (b.name === resolver.value) block = b;
  if (!block) {
    if (resolver.value === 'dns') return { provider: 'dns', name: 'dns' };
    const names = [...blocks.map((b) => b.name), 'dns'];
    diagnostics.error(
      'MAESTRO_ERR_DISCOVERY',
      resolver.pos,
      `service "${service}" uses resolver "${resolver.value}", but no discovery block has that name${didYouMean(resolver.value, names)}`,
    );
    return undefined;
  }
  if (!PROVIDERS.has(block.provider)) {
    diagnostics.error(
      'MAESTRO_ERR_DISCOVERY',
      block.pos,
      `discovery "${block.name}": unknown provider "${block.provider}"${didYouMean(block.provider, PROVIDERS)}`,
    );
    return undefined;
  }
  const address = block.address?.value ?? '';
  if (!/^https?:\/\/[^/]/.test(address)) {
    diagnostics.error(
      'MAESTRO_ERR_DISCOVERY',
      block.address?.pos ?? block.pos,
      `discovery "${block.name}" needs address = "http://host:port" (got "${address}")`,
    );
    return undefined;
  }
  return { provider: 'consul', name: block.name, address: address.replace(/\/+$/, '') };
}

/**
 * The resolver source joined with what the configured host names: split here, once, so a
 * caller only asks its resolver. Undefined without a parsed host (compile reported it).
 */
export function discoveryPlan(
  source: DiscoverySource | undefined,
  http: HttpHost | undefined,
  grpc: GrpcHost | undefined,
): DiscoveryPlan | undefined {
  if (!source) return undefined;
  let lookup: DiscoveryLookup | undefined;
  if (http) {
    const url = new URL(http.origin);
    const secure = url.protocol === 'https:';
    lookup = {
      name: url.hostname.replace(/^\[|\]$/g, ''),
      defaultPort: Number(url.port) || (secure ? 443 : 80),
      scheme: secure ? 'https' : 'http',
    };
  } else if (grpc) {
    const [, name = '', port = ''] = /^(.*?)(?::(\d+))?$/.exec(grpc.target) ?? [];
    lookup = {
      name: name.replace(/^\[|\]$/g, ''),
      defaultPort: Number(port) || (grpc.secure ? 443 : 80),
      scheme: grpc.secure ? 'grpcs' : 'grpc',
    };
  }
  return lookup ? { ...source, lookup } : undefined;
}

/**
 * Transport modules are imported when the plan needs them, not at start: grpc-js,
 * graphql, fastify, undici and ws each cost tens of milliseconds and megabytes, and most
 * configurations use one or two of them. The daemon asks here for the callers its calls
 * use; each listener module is imported where the daemon creates that listener.
 */
import type { Logger } from 'pino';
import type { Plan } from '../compile/plan.js';
import type { Discovery } from '../discovery/resolver.js';
import type { Caller } from '../transport/caller.js';

type CallerFactory = (logger: Logger, discovery: Discovery) => Promise<Caller>;

/** Transport name → how to build its caller; a transport not listed is not served yet. */
const CALLERS: ReadonlyMap<string, CallerFactory> = new Map<string, CallerFactory>([
  [
    'http',
    async (logger, discovery) => (await import('../transport/http/caller.js')).createHttpCaller({ logger, discovery }),
  ],
  // node:http2 rather than grpc-js: half the CPU per call (notes/perf.md); services found
  // through discovery, and resolver targets, go through grpc-js.
  [
    'grpc',
    async (logger, discovery) =>
      (await import('../transport/grpc/h2-caller.js')).createH2GrpcCaller({ logger, discovery }),
  ],
]);

/**
 * The callers of every transport some call or rollback of the plan uses, and only those.
 * Given `callers` (shared by the configurations a reload swaps, #13), adds the missing ones.
 */
export async function loadCallers(
  plan: Plan,
  logger: Logger,
  discovery: Discovery,
  callers = new Map<string, Caller>(),
): Promise<Map<string, Caller>> {
  const used = new Set<string>();
  for (const flow of plan.flows) {
    for (const node of flow.nodes) {
      if (node.call) used.add(node.call.service.transport);
      if (node.rollback) used.add(node.rollback.service.transport);
    }
  }
  await Promise.all(
    [...used].map(async (transport) => {
      const factory = callers.has(transport) ? undefined : CALLERS.get(transport);
      if (factory) callers.set(transport, await factory(logger, discovery));
    }),
  );
  return callers;
}

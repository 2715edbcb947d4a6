/**
 * Service discovery: a Resolver names the instance the next call goes to. One resolver
 * per discovered service, shared by every call to it, created by the HTTP caller when it
 * prepares the calls and closed with it.
 */
import type { Logger } from 'pino';
import type { DiscoveryPlan } from '../compile/plan.js';
import { ConsulResolver, type ConsulOptions } from './consul.js';
import { DnsResolver } from './dns.js';

export interface Instance {
  host: string;
  port: number;
}

export interface Resolver {
  /** The instance for the next call; throws CallError 503 when there is none. */
  next(signal: AbortSignal): Promise<Instance>;
  close(): void;
}

export interface Discovery {
  /** The resolver of `service` (the host name the configuration wrote) under `plan`. */
  resolver(plan: DiscoveryPlan, service: string, defaultPort: number, scheme?: string): Resolver;
  close(): void;
}

export interface DiscoveryOptions {
  logger?: Logger;
  consul?: ConsulOptions;
}

export function createDiscovery(options: DiscoveryOptions = {}): Discovery {
  const resolvers = new Map<string, Resolver>();
  return {
    resolver(plan, service, defaultPort, scheme = 'http') {
      const key =
        plan.provider === 'consul' ? `consul ${plan.address} ${service}` : `dns ${scheme} ${service} ${defaultPort}`;
      let resolver = resolvers.get(key);
      if (!resolver) {
        resolver =
          plan.provider === 'consul'
            ? new ConsulResolver(plan.name, plan.address, service, { logger: options.logger, ...options.consul })
            : new DnsResolver(service, defaultPort, scheme);
        resolvers.set(key, resolver);
      }
      return resolver;
    },
    close() {
      for (const resolver of resolvers.values()) resolver.close();
      resolvers.clear();
    },
  };
}

/** `host:port` for a URL, with IPv6 addresses bracketed. */
export function hostPort(instance: Instance): string {
  return instance.host.includes(':') ? `[${instance.host}]:${instance.port}` : `${instance.host}:${instance.port}`;
}

/**
 * A path served under other methods answers 405 with `Allow` (as Semaphore's httprouter
 * did) instead of 404. The route matchers are compiled once at registration; the lookup
 * only runs for requests that matched no route.
 */
import type { RoutePath } from './routes.js';
import { ALL_METHODS } from './proxy.js';

interface Served {
  matcher: RegExp;
  methods: string[];
}

export interface AllowedMethods {
  /** Records a route (method `*` means every method). */
  add(route: RoutePath, method: string): void;
  /** The methods served at `pathname`, sorted, or [] when the path is served by none. */
  at(pathname: string): string[];
}

export function createAllowedMethods(): AllowedMethods {
  const served: Served[] = [];
  return {
    add(route, method) {
      served.push({ matcher: route.matcher, methods: method === '*' ? ALL_METHODS : [method] });
    },
    at(pathname) {
      const found = new Set<string>();
      for (const route of served) {
        if (route.matcher.test(pathname)) for (const m of route.methods) found.add(m);
      }
      // Fastify answers HEAD wherever GET is routed.
      if (found.has('GET')) found.add('HEAD');
      return [...found].sort();
    },
  };
}

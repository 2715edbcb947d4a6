/**
 * A compiled plan is immutable: it is frozen deeply before compile returns it, so two
 * plans (the serving one and a reloaded one) can live side by side and nothing binds
 * transports into it (see flow/bind.ts). The walk freezes what compile built — plain
 * objects, arrays, Maps and Sets are left to their readonly types — and stops at what it
 * did not build: message types (protobufjs), codecs, functions, regular expressions.
 */
import { codecs } from '../codec/index.js';
import type { Plan } from './plan.js';

export function freezePlan(plan: Plan): Plan {
  const stop = new Set<unknown>([plan.schemas, plan.functions]);
  for (const type of plan.schemas.messages.values()) stop.add(type);
  for (const codec of codecs.values()) stop.add(codec);
  deepFreeze(plan, stop, new Set());
  return plan;
}

function deepFreeze(value: unknown, stop: ReadonlySet<unknown>, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || stop.has(value) || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Map) {
    for (const item of value.values()) deepFreeze(item, stop, seen);
    return;
  }
  if (value instanceof Set) {
    for (const item of value) deepFreeze(item, stop, seen);
    return;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key], stop, seen);
  Object.freeze(value);
}

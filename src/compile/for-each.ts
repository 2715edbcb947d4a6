/**
 * Compiles `for_each` and `max_concurrency` of a resource. The list expression is an
 * ordinary template of the resource (its references are edges of the DAG); the request
 * and the rollback are compiled with the list as an enclosing element frame, so
 * `{{ item:id }}` reads the current element and is type-checked against its type:
 *
 *   for_each = "{{ input:items }}"   (repeated Item)  →  item:id checked against Item
 *   for_each = "{{ input:name }}"    (string)         →  error: not a list
 */
import type { ResourceSpec } from '../spec/types.js';
import type { ForEachPlan } from './plan.js';
import type { ElementFrame, Site } from './references.js';
import { describe, type StaticType } from './static-type.js';
import { compileString } from './values.js';

/** Calls of one for_each resource in flight at once when `max_concurrency` is not set. */
export const DEFAULT_MAX_CONCURRENCY = 8;
/** A bound on the setting, so that no config can open thousands of upstream calls at once. */
export const MAX_CONCURRENCY_LIMIT = 256;

/** What `item:` refers to: the frame is pushed as depth 0 of the request's elements. */
export const ITEM = 'item';

export interface CompiledForEach {
  plan: ForEachPlan;
  /** Add to the sites of the request and the rollback: `item:` reads the element. */
  frame: ElementFrame;
}

export function compileForEach(resource: ResourceSpec, main: Site): CompiledForEach | undefined {
  const { forEach, maxConcurrency } = resource;
  const diagnostics = main.scope.diagnostics;
  if (!forEach) {
    if (maxConcurrency) {
      diagnostics.error('MAESTRO_ERR_FOR_EACH', maxConcurrency.pos, `max_concurrency needs for_each${main.where}`);
    }
    return undefined;
  }
  if (!resource.request) {
    diagnostics.error(
      'MAESTRO_ERR_FOR_EACH',
      forEach.pos,
      `for_each needs a request: one call is made per element${main.where}`,
    );
    return undefined;
  }
  if (maxConcurrency && maxConcurrency.value > MAX_CONCURRENCY_LIMIT) {
    diagnostics.error(
      'MAESTRO_ERR_FOR_EACH',
      maxConcurrency.pos,
      `max_concurrency ${maxConcurrency.value} is above the limit of ${MAX_CONCURRENCY_LIMIT}${main.where}`,
    );
  }
  const list = compileString(forEach.value, { ...main, pos: forEach.pos });
  const { type } = list;
  if (type.kind === 'typed' && !type.repeated && type.category !== 'array') {
    diagnostics.error(
      'MAESTRO_ERR_TYPE',
      forEach.pos,
      `for_each "${forEach.value}" is ${describe(type)}, not a list${main.where}; name a repeated field or a list`,
    );
    return undefined;
  }
  return {
    plan: {
      list: list.get,
      maxConcurrency: Math.min(maxConcurrency?.value ?? DEFAULT_MAX_CONCURRENCY, MAX_CONCURRENCY_LIMIT),
      source: forEach.value,
    },
    frame: { resource: ITEM, part: 'response', path: [], type },
  };
}

/** The type of a list of `type` (a dynamic or already-listed type stays as it is). */
export function listOf(type: StaticType): StaticType {
  return type.kind === 'typed' && !type.repeated ? { ...type, repeated: true } : type;
}

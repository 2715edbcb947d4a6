/**
 * The built-in template functions, one file per family, keyed by name. Compile looks a
 * function up here once per call site; user modules (module.ts) add to the map.
 */
import { encodingFunctions } from './encoding.js';
import type { FunctionContext, TemplateFunction } from './function.js';
import { createJwtFunction } from './jwt.js';
import { sprintf } from './sprintf.js';
import { stringFunctions } from './strings.js';
import { valueFunctions } from './values.js';

export type { FunctionContext, JwtKeySet, ResultKind, TemplateFunction } from './function.js';
export { FunctionError } from './function.js';
export { loadFunctionModule } from './module.js';
export { verifyJwt } from './jwt.js';

export function createFunctions(context: FunctionContext): Map<string, TemplateFunction> {
  const functions = new Map<string, TemplateFunction>();
  for (const fn of [sprintf, ...stringFunctions, ...valueFunctions, ...encodingFunctions, createJwtFunction(context)]) {
    functions.set(fn.name, fn);
  }
  return functions;
}

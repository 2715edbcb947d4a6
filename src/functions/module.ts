/**
 * User functions from a JavaScript module named in the configuration:
 *
 *   export default {
 *     greet: (name) => `hi ${name}`,                              // variadic, dynamic
 *     add: { minArgs: 2, maxArgs: 2, returns: 'number', invoke: ([a, b]) => a + b },
 *   };
 *   // or: export const functions = { … }
 *   // or: export default (context) => ({ … })   (a factory, may be async)
 *
 * Functions must be synchronous. An error other than FunctionError thrown by a user
 * function becomes a FunctionError with status 500, so the executor sees one error type.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MaestroError } from '../errors.js';
import { FunctionError, type FunctionContext, type ResultKind, type TemplateFunction } from './function.js';

const RESULT_KINDS: ReadonlySet<string> = new Set<ResultKind>([
  'string',
  'number',
  'boolean',
  'object',
  'array',
  'dynamic',
]);
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * @param fresh set on a reload: appended to the module URL so that Node's module cache
 *   hands back the file as it is now, not as it was first imported
 */
export async function loadFunctionModule(
  path: string,
  context: FunctionContext,
  fresh?: string,
): Promise<TemplateFunction[]> {
  const file = resolve(path);
  const invalid = (message: string): MaestroError =>
    new MaestroError('MAESTRO_ERR_FUNCTION_MODULE', `function module ${file}: ${message}`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href + (fresh ? `?reload=${encodeURIComponent(fresh)}` : ''))) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw new MaestroError(
      'MAESTRO_ERR_FUNCTION_MODULE',
      `function module ${file}: cannot be loaded: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  let table: unknown = module.default ?? module.functions;
  if (typeof table === 'function') {
    try {
      table = await (table as (context: FunctionContext) => unknown)(context);
    } catch (error) {
      throw new MaestroError(
        'MAESTRO_ERR_FUNCTION_MODULE',
        `function module ${file}: factory failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  if (table === null || typeof table !== 'object' || Array.isArray(table)) {
    throw invalid(
      'expected a default export (or an export named "functions") mapping names to functions, or a factory returning one',
    );
  }
  return Object.entries(table).map(([name, entry]) => toTemplateFunction(name, entry, invalid));
}

function toTemplateFunction(
  name: string,
  entry: unknown,
  invalid: (message: string) => MaestroError,
): TemplateFunction {
  if (!NAME.test(name)) throw invalid(`"${name}" is not a valid function name`);
  if (typeof entry === 'function') {
    return {
      name,
      minArgs: 0,
      maxArgs: Infinity,
      returns: 'dynamic',
      invoke: guard(name, (args) => entry(...args) as unknown),
    };
  }
  if (entry === null || typeof entry !== 'object')
    throw invalid(`"${name}" must be a function or an object with invoke()`);
  const spec = entry as Record<string, unknown>;
  const invoke = spec.invoke;
  if (typeof invoke !== 'function') throw invalid(`"${name}" has no invoke() function`);
  const minArgs = spec.minArgs ?? 0;
  const maxArgs = spec.maxArgs ?? Infinity;
  const returns = spec.returns ?? 'dynamic';
  if (typeof minArgs !== 'number' || !Number.isInteger(minArgs) || minArgs < 0) {
    throw invalid(`"${name}".minArgs must be a non-negative integer`);
  }
  if (typeof maxArgs !== 'number' || (maxArgs !== Infinity && !Number.isInteger(maxArgs)) || maxArgs < minArgs) {
    throw invalid(`"${name}".maxArgs must be an integer (or Infinity) not below minArgs`);
  }
  if (typeof returns !== 'string' || !RESULT_KINDS.has(returns)) {
    throw invalid(`"${name}".returns must be one of ${[...RESULT_KINDS].join(', ')}`);
  }
  const call = (args: unknown[]): unknown => (invoke as (this: unknown, args: unknown[]) => unknown).call(entry, args);
  return { name, minArgs, maxArgs, returns: returns as ResultKind, invoke: guard(name, call) };
}

/** Gives the executor a FunctionError whatever the user's code throws or returns. */
function guard(name: string, invoke: (args: unknown[]) => unknown): (args: unknown[]) => unknown {
  return (args) => {
    let result: unknown;
    try {
      result = invoke(args);
    } catch (error) {
      if (error instanceof FunctionError) throw error;
      throw new FunctionError(`${name}: ${error instanceof Error ? error.message : String(error)}`, 500, {
        cause: error,
      });
    }
    if (result instanceof Promise) {
      result.catch(() => undefined); // nobody awaits it: keep an unhandled rejection from crashing the daemon
      throw new FunctionError(`${name}: returned a Promise; template functions must be synchronous`, 500);
    }
    return result;
  };
}

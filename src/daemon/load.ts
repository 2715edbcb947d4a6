/**
 * The front half of the pipeline, shared by `validate` and `daemon`:
 *
 *   files ──config──▶ Spec ──schema──▶ types ──compile──▶ Plan
 *
 * Every diagnostic of every stage is collected; the plan is returned only when there
 * are no errors.
 */
import { isAbsolute, resolve } from 'node:path';
import { compile } from '../compile/index.js';
import type { Plan } from '../compile/plan.js';
import { loadConfig } from '../config/index.js';
import { ConfigError, Diagnostics } from '../errors.js';
import type { FunctionContext, TemplateFunction } from '../functions/function.js';
import { loadJwtKeySets } from '../functions/jwt-load.js';
import { createFunctions, loadFunctionModule } from '../functions/index.js';
import { loadSchemas } from '../schema/index.js';
import { loadExternalSchemas } from '../schema/external.js';
import type { Spec } from '../spec/types.js';
import type { FlowRunner } from '../transport/listener.js';

export interface LoadPlanOptions {
  /** --config values: files or globs. */
  config: string[];
  /** Extra --proto globs, on top of the files' `protobuffers`. */
  protos?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Set by a reload: function modules are imported afresh (see loadFunctionModule). */
  fresh?: string;
}

export interface LoadedPlan {
  plan: Plan | undefined;
  spec: Spec | undefined;
  diagnostics: Diagnostics;
}

export async function loadPlan(options: LoadPlanOptions): Promise<LoadedPlan> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const { spec, diagnostics } = await loadConfig(options.config, { env, cwd });
  if (diagnostics.errors.length > 0) return { plan: undefined, spec, diagnostics };

  const cli = { file: '<command line>', line: 0, column: 0 };
  const protoGlobs = [
    ...spec.protobuffers,
    ...(options.protos ?? []).map((p) => ({ value: isAbsolute(p) ? p : resolve(cwd, p), pos: cli })),
  ];
  const external = await loadExternalSchemas(spec, diagnostics);
  spec.services.unshift(...external.services);
  const schemas = await loadSchemas(protoGlobs, diagnostics, external.types);
  const functions = await loadFunctions(spec, env, diagnostics, options.fresh);
  const { plan } = compile(spec, schemas, { functions, diagnostics });
  if (diagnostics.errors.length === 0) await checkGraphqlSchema(plan, diagnostics);
  return { plan: diagnostics.errors.length > 0 ? undefined : plan, spec, diagnostics };
}

/**
 * The GraphQL schema is generated from the endpoints when the listener is built; it is
 * built here too (and thrown away), so `validate` reports what would stop the daemon.
 * graphql is imported only when a configuration has a GraphQL endpoint.
 */
async function checkGraphqlSchema(plan: Plan, diagnostics: Diagnostics): Promise<void> {
  const endpoints = plan.endpoints.filter((e) => e.protocol === 'graphql');
  if (endpoints.length === 0) return;
  const { buildGraphqlSchema } = await import('../transport/graphql/schema.js');
  const unused: FlowRunner = {
    run: () => Promise.reject(new Error('schema check only')),
    reject: () => {
      throw new Error('schema check only');
    },
  };
  try {
    buildGraphqlSchema(endpoints, unused);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const d of error.diagnostics) diagnostics.items.push(d);
  }
}

async function loadFunctions(
  spec: Spec,
  env: NodeJS.ProcessEnv,
  diagnostics: Diagnostics,
  fresh?: string,
): Promise<Map<string, TemplateFunction>> {
  const context: FunctionContext = { jwt: await loadJwtKeySets(spec.jwtKeys, { env, diagnostics }), env };
  const functions = createFunctions(context);
  for (const module of spec.functions) {
    try {
      for (const fn of await loadFunctionModule(module.value, context, fresh)) functions.set(fn.name, fn);
    } catch (error) {
      diagnostics.error(
        'MAESTRO_ERR_FUNCTIONS_MODULE',
        module.pos,
        `cannot load functions from ${module.value}: ${(error as Error).message}`,
      );
    }
  }
  return functions;
}

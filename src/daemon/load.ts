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
import { Diagnostics } from '../errors.js';
import type { FunctionContext, JwtKeySet, TemplateFunction } from '../functions/function.js';
import { createFunctions, loadFunctionModule } from '../functions/index.js';
import { loadSchemas } from '../schema/index.js';
import type { Spec } from '../spec/types.js';
import { readFileSync } from 'node:fs';

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
  const schemas = await loadSchemas(protoGlobs, diagnostics);
  const functions = await loadFunctions(spec, env, diagnostics, options.fresh);
  const { plan } = compile(spec, schemas, { functions, diagnostics });
  return { plan: diagnostics.errors.length > 0 ? undefined : plan, spec, diagnostics };
}

async function loadFunctions(spec: Spec, env: NodeJS.ProcessEnv, diagnostics: Diagnostics, fresh?: string): Promise<Map<string, TemplateFunction>> {
  const context: FunctionContext = { jwt: jwtKeySets(spec, diagnostics), env };
  const functions = createFunctions(context);
  for (const module of spec.functions) {
    try {
      for (const fn of await loadFunctionModule(module.value, context, fresh)) functions.set(fn.name, fn);
    } catch (error) {
      diagnostics.error('MAESTRO_ERR_FUNCTIONS_MODULE', module.pos, `cannot load functions from ${module.value}: ${(error as Error).message}`);
    }
  }
  return functions;
}

function jwtKeySets(spec: Spec, diagnostics: Diagnostics): Map<string, JwtKeySet> {
  const sets = new Map<string, JwtKeySet>();
  for (const block of spec.jwtKeys) {
    const a = block.attributes;
    const text = (name: string): string | undefined => {
      const v = a[name]?.value;
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    let publicKey = text('public_key');
    const keyFile = text('public_key_file');
    if (!publicKey && keyFile) {
      try {
        publicKey = readFileSync(keyFile, 'utf8');
      } catch {
        diagnostics.error('MAESTRO_ERR_JWT_KEY', a.public_key_file!.pos, `cannot read public_key_file of jwt "${block.name}"`);
      }
    }
    const algorithms = a.algorithms?.value;
    sets.set(block.name, {
      secret: text('secret'),
      publicKey,
      algorithms: Array.isArray(algorithms) ? algorithms.map(String) : undefined,
      issuer: text('issuer'),
      audience: text('audience'),
    });
  }
  return sets;
}

/**
 * config/: HCL files, globs, includes and `$VAR`s → a positioned Spec.
 * `loadConfig` never throws for a configuration problem; read `diagnostics`.
 */
export { loadConfig, type LoadOptions, type LoadResult } from './load.js';
export { expandGlob, expandBraces, isGlob } from './glob.js';
export { decodeHcl, createHclDecoder, type HclDecoder } from './hcl.js';
export { expandEnv, type ExpandedText } from './env.js';
export type { HclAttribute, HclBlock, HclBody } from './ast.js';
export { toHcl2JsonShape } from './hcl2json-shape.js';

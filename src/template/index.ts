/** Templates and conditions: parse once at compile time, build closures, run many times. */
export type * from './ast.js';
export { TemplateError } from './error.js';
export { parseTemplate, parseReference, referencesOf } from './parse.js';
export { parseCondition } from './condition.js';
export { buildExpression, buildTemplate, buildCondition } from './build.js';
export type { Getter, LeafBuilder, FunctionResolver } from './build.js';
export { renderText, jsonText } from './render.js';

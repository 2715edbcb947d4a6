/**
 * The package entry (`"main"` / `"exports"`): the pipeline as a library, for embedding
 * Maestro or building tools on it. The CLI (cmd/maestro.ts) uses the same functions.
 *
 *   loadPlan(files) ──▶ Plan (frozen) ──bind(plan, transports)──▶ RunnablePlan ──▶ Executor
 *   startDaemon(options) does all of it and serves.
 */
export { startDaemon, type Daemon, type DaemonOptions } from './daemon/daemon.js';
export { loadPlan, type LoadedPlan, type LoadPlanOptions } from './daemon/load.js';
export { compile, type CompileOptions } from './compile/index.js';
export type * from './compile/plan.js';
export { bind, type BoundFlow, type CallBinder, type RunnablePlan, type Transports } from './flow/bind.js';
export { Executor, type ExecutorOptions } from './flow/executor.js';
export type { FlowRequest, FlowResult } from './flow/types.js';
export { loadConfig } from './config/index.js';
export { CallError, ConfigError, Diagnostics, MaestroError, formatDiagnostic, type Diagnostic } from './errors.js';
export type { Spec } from './spec/types.js';

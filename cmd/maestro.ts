#!/usr/bin/env node
/**
 * The command line: `maestro daemon` serves flows, `maestro validate` checks them,
 * `maestro graph` draws them.
 * Everything else lives in src/.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ConfigError, formatDiagnostic } from '../src/errors.js';
import { loadPlan } from '../src/daemon/load.js';
import { startDaemon } from '../src/daemon/daemon.js';
import { summarize } from '../src/daemon/summary.js';
import { drawPlan, GRAPH_FORMATS, type GraphFormat } from '../src/graph/index.js';
import { parseDuration } from '../src/compile/duration.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('maestro')
  .description('Orchestration daemon: HCL flows exposed over HTTP, GraphQL and gRPC, with concurrent upstream calls and SAGA rollbacks')
  .version(pkg.version, '-v, --version');

program
  .command('daemon')
  .description('load, compile and serve the flows')
  .requiredOption('-c, --config <file|glob...>', 'HCL files or globs (quoted globs are expanded by maestro); repeatable')
  .option('--proto <file|glob...>', 'extra .proto files or globs, on top of the files\' protobuffers')
  .option('--http <address>', 'HTTP listener address, e.g. :8080 (overrides http { address })')
  .option('--grpc <address>', 'gRPC listener address, e.g. :50051 (overrides grpc { address })')
  .option('--graphql <address>', 'GraphQL listener address, e.g. :9090 (overrides graphql { address })')
  .option('--metrics <address>', 'Prometheus listener address serving GET /metrics and the /flows page, e.g. :5050 (overrides prometheus { address })')
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']))
  .option('--shutdown-timeout <duration>', 'on SIGTERM/SIGINT, how long in-flight flows may finish before their calls are aborted', '30s')
  .option('--shutdown-rollback-timeout <duration>', 'then how long pending rollbacks may run before they are cut short', '10s')
  .action(async (opts: {
    config: string[]; proto?: string[]; http?: string; grpc?: string; graphql?: string; metrics?: string; logLevel?: string;
    shutdownTimeout: string; shutdownRollbackTimeout: string;
  }) => {
    try {
      const daemon = await startDaemon({
        config: opts.config, protos: opts.proto, http: opts.http, grpc: opts.grpc, graphql: opts.graphql, metrics: opts.metrics, logLevel: opts.logLevel,
        shutdownTimeoutMs: durationFlag('--shutdown-timeout', opts.shutdownTimeout),
        rollbackTimeoutMs: durationFlag('--shutdown-rollback-timeout', opts.shutdownRollbackTimeout),
      });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        daemon.logger.info({ signal, shutdownTimeout: opts.shutdownTimeout, shutdownRollbackTimeout: opts.shutdownRollbackTimeout },
          'shutting down: finishing in-flight flows and pending rollbacks');
        // Ending with process.exit() can lose or reorder the last log lines (pino writes
        // asynchronously and only flushes what is not already in flight), so the process
        // ends when its loop drains; the timer only bounds a handle left open by mistake.
        const exit = (code: number) => {
          process.exitCode = code;
          setTimeout(() => process.exit(code), 2000).unref();
        };
        daemon.close().then(() => exit(0), () => exit(1));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    } catch (error) {
      fail(error);
    }
  });

program
  .command('validate')
  .description('check the configuration: exit 0 with a summary, or print every error with file:line and exit 1')
  .requiredOption('-c, --config <file|glob...>', 'HCL files or globs; repeatable')
  .option('--proto <file|glob...>', 'extra .proto files or globs')
  .action(async (opts: { config: string[]; proto?: string[] }) => {
    const { plan, diagnostics } = await loadPlan({ config: opts.config, protos: opts.proto });
    for (const d of diagnostics.items) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (!plan) {
      process.stderr.write(`validate: ${diagnostics.errors.length} error(s)\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${summarize(plan)}\n`);
  });

program
  .command('graph')
  .description('draw the flows as the executor runs them (resources, edges, conditions, rollbacks): Mermaid, DOT or SVG on stdout')
  .requiredOption('-c, --config <file|glob...>', 'HCL files or globs; repeatable')
  .option('--proto <file|glob...>', 'extra .proto files or globs')
  .option('--flow <name>', 'only this flow or proxy (default: all, one subgraph each)')
  .addOption(new Option('--format <format>', 'output format').choices([...GRAPH_FORMATS]).default('mermaid'))
  .action(async (opts: { config: string[]; proto?: string[]; flow?: string; format: GraphFormat }) => {
    const { plan, spec, diagnostics } = await loadPlan({ config: opts.config, protos: opts.proto });
    for (const d of diagnostics.errors) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (!plan) {
      process.stderr.write(`graph: ${diagnostics.errors.length} error(s)\n`);
      process.exitCode = 1;
      return;
    }
    try {
      process.stdout.write(await drawPlan(plan, spec, opts.format, opts.flow));
    } catch (error) {
      process.stderr.write(`graph: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  });

/** A duration flag ("30s", "500ms"): a bad one stops the daemon before it starts. */
function durationFlag(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new Error(`${flag}: invalid duration "${value}"; write e.g. "30s" or "500ms"`);
  return ms;
}

function fail(error: unknown): never {
  if (error instanceof ConfigError) {
    for (const d of error.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  } else {
    process.stderr.write(`maestro: ${(error as Error).message}\n`);
  }
  process.exit(1);
}

await program.parseAsync(process.argv);

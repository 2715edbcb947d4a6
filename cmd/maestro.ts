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
  .option('--admin <address>', 'admin listener address serving /healthz, /readyz, /metrics, /config and the /flows page, e.g. :9100 (overrides admin { address })')
  .option('--watch', 'reload when a file the configuration read changes (SIGHUP always reloads)')
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']))
  .action(async (opts: { config: string[]; proto?: string[]; http?: string; grpc?: string; graphql?: string; metrics?: string; admin?: string; watch?: boolean; logLevel?: string }) => {
    // SIGHUP reloads every file; a configuration that fails keeps the running one (the
    // errors are logged with their positions), so the signal never stops the daemon. One
    // arriving while the daemon starts (Node's default would end the process) reloads
    // once it serves.
    let reload: (() => void) | undefined;
    let hupWhileStarting = false;
    process.on('SIGHUP', () => {
      if (reload) reload();
      else hupWhileStarting = true;
    });
    try {
      const daemon = await startDaemon({
        config: opts.config, protos: opts.proto, http: opts.http, grpc: opts.grpc, graphql: opts.graphql, metrics: opts.metrics, admin: opts.admin,
        watch: opts.watch, logLevel: opts.logLevel,
      });
      let stopping = false;
      reload = () => {
        if (!stopping) void daemon.reload('SIGHUP');
      };
      if (hupWhileStarting) reload();
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        daemon.logger.info({ signal }, 'shutting down: finishing in-flight flows and pending rollbacks');
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

function fail(error: unknown): never {
  if (error instanceof ConfigError) {
    for (const d of error.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  } else {
    process.stderr.write(`maestro: ${(error as Error).message}\n`);
  }
  process.exit(1);
}

await program.parseAsync(process.argv);

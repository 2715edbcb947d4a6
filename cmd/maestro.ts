#!/usr/bin/env node
/**
 * The command line: `maestro daemon` serves flows, `maestro validate` checks them,
 * `maestro graph` draws them, `maestro generate` prints OpenAPI, GraphQL SDL or .proto
 * documents of them.
 * Everything else lives in src/.
 */
import { readFileSync } from 'node:fs';
import { Argument, Command, Option } from 'commander';
import { ConfigError, formatDiagnostic } from '../src/errors.js';
import { GRAPH_FORMATS, type GraphFormat } from '../src/graph/formats.js';
import { isWorker, parseWorkers, runPrimary, signalReady } from '../src/daemon/workers.js';
import { GENERATE_KINDS, type GenerateKind } from '../src/generate/kinds.js';
import { parseDuration } from '../src/compile/duration.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('maestro')
  .description(
    'Orchestration daemon: HCL flows exposed over HTTP, GraphQL and gRPC, with concurrent upstream calls and SAGA rollbacks',
  )
  .version(pkg.version, '-v, --version');

program
  .command('daemon')
  .description('load, compile and serve the flows')
  .requiredOption(
    '-c, --config <file|glob...>',
    'HCL files or globs (quoted globs are expanded by maestro); repeatable',
  )
  .option('--proto <file|glob...>', "extra .proto files or globs, on top of the files' protobuffers")
  .option('--http <address>', 'HTTP listener address, e.g. :8080 (overrides http { address })')
  .option('--grpc <address>', 'gRPC listener address, e.g. :50051 (overrides grpc { address })')
  .option('--graphql <address>', 'GraphQL listener address, e.g. :9090 (overrides graphql { address })')
  .option(
    '--metrics <address>',
    'Prometheus listener address serving GET /metrics and the /flows page, e.g. :5050 (overrides prometheus { address })',
  )
  .option(
    '--admin <address>',
    'admin listener address serving /healthz, /readyz, /metrics, /config and the /flows page, e.g. :9100 (overrides admin { address })',
  )
  .option('--watch', 'reload when a file the configuration read changes (SIGHUP always reloads)')
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']))
  .option(
    '--journal <memory|sqlite:PATH|postgres://…>',
    'rollback journal (overrides journal { }); default sqlite:./maestro-data/journal.db for flows with rollbacks',
  )
  .option('--workers <n|auto>', 'serve from N processes sharing the ports (node:cluster); auto = one per core', '1')
  .option(
    '--shutdown-timeout <duration>',
    'on SIGTERM/SIGINT, how long in-flight flows may finish before their calls are aborted',
    '30s',
  )
  .option(
    '--shutdown-rollback-timeout <duration>',
    'then how long pending rollbacks may run before they are cut short',
    '10s',
  )
  .action(
    async (opts: {
      config: string[];
      proto?: string[];
      http?: string;
      grpc?: string;
      graphql?: string;
      metrics?: string;
      admin?: string;
      watch?: boolean;
      logLevel?: string;
      journal?: string;
      workers: string;
      shutdownTimeout: string;
      shutdownRollbackTimeout: string;
    }) => {
      // SIGHUP reloads every file; a configuration that fails keeps the running one (the
      // errors are logged with their positions), so the signal never stops the daemon. One
      // arriving while the daemon starts (Node's default would end the process) reloads
      // once it serves. Under --workers the primary passes it on to every worker.
      let reload: (() => void) | undefined;
      let hupWhileStarting = false;
      process.on('SIGHUP', () => {
        if (reload) reload();
        else hupWhileStarting = true;
      });
      try {
        const workers = isWorker() ? 1 : parseWorkers(opts.workers);
        if (workers > 1) {
          reload = runPrimary(workers, (line) => process.stderr.write(`maestro: ${line}\n`));
          if (hupWhileStarting) reload();
          return;
        }
        // Imported here, not at the top: the --workers primary and --help never load it.
        const { startDaemon } = await import('../src/daemon/daemon.js');
        const daemon = await startDaemon({
          config: opts.config,
          protos: opts.proto,
          http: opts.http,
          grpc: opts.grpc,
          graphql: opts.graphql,
          metrics: opts.metrics,
          admin: opts.admin,
          watch: opts.watch,
          logLevel: opts.logLevel,
          journal: opts.journal,
          shutdownTimeoutMs: durationFlag('--shutdown-timeout', opts.shutdownTimeout),
          rollbackTimeoutMs: durationFlag('--shutdown-rollback-timeout', opts.shutdownRollbackTimeout),
        });
        let stopping = false;
        reload = () => {
          if (!stopping) void daemon.reload('SIGHUP');
        };
        if (hupWhileStarting) reload();
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          daemon.logger.info(
            { signal, shutdownTimeout: opts.shutdownTimeout, shutdownRollbackTimeout: opts.shutdownRollbackTimeout },
            'shutting down: finishing in-flight flows and pending rollbacks',
          );
          // Ending with process.exit() can lose or reorder the last log lines (pino writes
          // asynchronously and only flushes what is not already in flight), so the process
          // ends when its loop drains; the timer only bounds a handle left open by mistake.
          const exit = (code: number) => {
            process.exitCode = code;
            setTimeout(() => process.exit(code), 2000).unref();
          };
          daemon.close().then(
            () => exit(0),
            () => exit(1),
          );
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
        signalReady();
      } catch (error) {
        fail(error);
      }
    },
  );

program
  .command('validate')
  .description('check the configuration: exit 0 with a summary, or print every error with file:line and exit 1')
  .requiredOption('-c, --config <file|glob...>', 'HCL files or globs; repeatable')
  .option('--proto <file|glob...>', 'extra .proto files or globs')
  .action(async (opts: { config: string[]; proto?: string[] }) => {
    const [{ loadPlan }, { summarize }] = await Promise.all([
      import('../src/daemon/load.js'),
      import('../src/daemon/summary.js'),
    ]);
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
  .description(
    'draw the flows as the executor runs them (resources, edges, conditions, rollbacks): Mermaid, DOT or SVG on stdout',
  )
  .requiredOption('-c, --config <file|glob...>', 'HCL files or globs; repeatable')
  .option('--proto <file|glob...>', 'extra .proto files or globs')
  .option('--flow <name>', 'only this flow or proxy (default: all, one subgraph each)')
  .addOption(new Option('--format <format>', 'output format').choices([...GRAPH_FORMATS]).default('mermaid'))
  .action(async (opts: { config: string[]; proto?: string[]; flow?: string; format: GraphFormat }) => {
    const [{ loadPlan }, { drawPlan }] = await Promise.all([
      import('../src/daemon/load.js'),
      import('../src/graph/index.js'),
    ]);
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

program
  .command('generate')
  .description(
    'print a document of what the configuration exposes: openapi3 (HTTP endpoints), graphql (SDL) or protobuf (.proto of the gRPC endpoints)',
  )
  .addArgument(new Argument('<kind>', 'document to print').choices(GENERATE_KINDS))
  .requiredOption('-c, --config <file|glob...>', 'HCL files or globs; repeatable')
  .option('--proto <file|glob...>', 'extra .proto files or globs')
  .action(async (kind: GenerateKind, opts: { config: string[]; proto?: string[] }) => {
    const [{ loadPlan }, { generate }] = await Promise.all([
      import('../src/daemon/load.js'),
      import('../src/generate/index.js'),
    ]);
    const { plan, diagnostics } = await loadPlan({ config: opts.config, protos: opts.proto });
    for (const d of diagnostics.items) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (!plan) {
      process.stderr.write(`generate: ${diagnostics.errors.length} error(s)\n`);
      process.exitCode = 1;
      return;
    }
    try {
      const generated = generate(kind, plan);
      for (const note of generated.notes) process.stderr.write(`generate: ${note}\n`);
      process.stdout.write(generated.text);
    } catch (error) {
      fail(error);
    }
  });

const journal = program
  .command('journal')
  .description('the rollback journal: create its schema, list its open records');
const journalOptions = (command: Command): Command =>
  command
    .option('-c, --config <file|glob...>', 'HCL files whose journal { } block to use')
    .option(
      '--journal <sqlite:PATH|postgres://…>',
      'the journal (overrides the files); default sqlite:./maestro-data/journal.db',
    )
    .option('--schema <name>', 'PostgreSQL schema (default maestro, or journal { schema })');
journalOptions(journal.command('migrate').description("create the journal's schema and tables (idempotent)")).action(
  async (opts: { config?: string[]; journal?: string; schema?: string }) => {
    try {
      const { migrateJournal } = await import('../src/daemon/journal-commands.js');
      process.stdout.write(`${await migrateJournal(opts)}\n`);
    } catch (error) {
      fail(error);
    }
  },
);
journalOptions(journal.command('list').description('show the open records: compensations not yet run'))
  .option('--json', 'print JSON')
  .action(async (opts: { config?: string[]; journal?: string; schema?: string; json?: boolean }) => {
    try {
      const { listJournal } = await import('../src/daemon/journal-commands.js');
      process.stdout.write(`${await listJournal(opts)}\n`);
    } catch (error) {
      fail(error);
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

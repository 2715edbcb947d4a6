// Bundles the compiled CLI (dist/cmd/maestro.js) and its dependencies into dist/bundle/,
// which the `maestro` bin runs. One file per lazily imported transport (esbuild splits at
// dynamic imports), so a configuration still loads only the transports it uses.
// Why: resolving and compiling ~600 small CommonJS and ESM files was most of start-up
// (bench: daemon CPU until the first 200 went from 0.48 s to about 0.32 s, idle RSS fell).
import { chmodSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = 'dist/bundle';
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: ['dist/cmd/maestro.js'],
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Whitespace and syntax only: identifiers keep their names, so stack traces, error
  // names (new.target.name) and logs read as in the source.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: 'linked',
  // These find files next to their own modules at run time (__dirname): web-tree-sitter its
  // .wasm, grpc-js and proto-loader their .proto files, pino its transport
  // worker. Bundled, they would look in dist/bundle/ and fail.
  // OpenTelemetry (#13) is loaded only when tracing is on, so bundling it saves nothing at
  // start, and its OTLP exporter, a CommonJS package imported dynamically, came out of the
  // bundle with a default export only (`OTLPTraceExporter is not a constructor`).
  // better-sqlite3 finds its native module through `bindings`, which reads __filename
  // (undefined in an ESM bundle: every flow with rollbacks, journaled to SQLite by
  // default, failed to start with `__filename is not defined`). pg may require the
  // optional pg-native; pino-pretty runs in a worker thread.
  external: [
    'web-tree-sitter',
    '@grpc/grpc-js',
    '@grpc/proto-loader',
    'pino',
    '@opentelemetry/*',
    'better-sqlite3',
    'pg',
    'pino-pretty',
  ],
  // CommonJS packages inside an ESM bundle still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __maestroCreateRequire } from 'node:module'; const require = __maestroCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
chmodSync(`${outdir}/maestro.js`, 0o755);

// ESLint (flat config): typescript-eslint's recommended rules, no import cycles, and the
// layering: each layer imports only itself, earlier layers and the shared modules.
//
//   config → schema → codec → functions → template → compile → flow → discovery → transport
//   → generate → daemon → cmd
//   spec/, errors.ts, shared/: importable by every layer; they import none of the layers.
//
// CONTRIBUTING.md ("Layers") explains the order. Run with `npm run lint`.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Layers in pipeline order; a file may import from its own layer and earlier ones. */
export const LAYERS = [
  ['src/config'],
  ['src/schema'],
  ['src/codec'],
  ['src/functions'],
  ['src/template'],
  ['src/compile'],
  ['src/graph'],
  // The executor records rollbacks in the journal, and recovery runs them as the executor does.
  ['src/flow', 'src/journal'],
  ['src/resilience'],
  ['src/discovery'],
  ['src/transport'],
  ['src/traffic'],
  ['src/generate'],
  ['src/daemon'],
  ['cmd'],
];
/** Importable by all; they import nothing above. */
export const SHARED = ['src/spec', 'src/errors.ts', 'src/shared'];

const layerZones = LAYERS.flatMap((layer, i) => {
  const later = LAYERS.slice(i + 1).flat();
  return layer.flatMap((target) =>
    later.map((from) => ({
      target: `./${target}`,
      from: `./${from}`,
      message: `${target} may not import ${from}, a later layer`,
    })),
  );
});
const sharedZones = SHARED.map((target) => ({
  target: `./${target}`,
  from: LAYERS.flat().map((from) => `./${from}`),
  message: `${target} is shared by every layer and may import none of them`,
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/fixtures/lint/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { 'import-x': importX },
    settings: {
      // import-x reads imported files itself (for no-cycle): it needs the TypeScript parser
      // for .ts, and the TypeScript resolver for `./x.js` → `./x.ts`.
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: [...layerZones, ...sharedZones] }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Scripts and tests run under Node and print; their globals are Node's.
    files: ['**/*.js', '**/*.mjs', 'test/**/*.ts', 'bench/**', 'examples/**'],
    rules: {
      // Tests write int64 literals beyond 2^53 on purpose, to show they are not lost.
      'no-loss-of-precision': 'off',
    },
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        performance: 'readonly',
        AbortController: 'readonly',
        fetch: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
  },
);

/**
 * The compatibility corpus in ../shared (Semaphore's parser fixtures and examples, and the
 * conformance cases): every file loads as it should, and our decoder agrees with
 * @cdktf/hcl2json on every file, except where hcl2json is known to lose data.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeHcl, expandGlob, toHcl2JsonShape, type HclBody } from '../../src/config/index.js';
import { formatDiagnostic } from '../../src/errors.js';
import { FIXTURES, load } from '../fixtures/config/helpers.js';

const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const present = existsSync(SHARED);

const parserTests = present ? expandGlob('semaphore-examples/parser-tests/*.hcl', SHARED) : [];
const examples = present
  ? [
      ...expandGlob('semaphore-examples/examples/**/config.hcl', SHARED),
      ...expandGlob('semaphore-examples/examples/custom-functions/flow.hcl', SHARED),
    ]
  : [];
const cases = present ? expandGlob('conformance/cases/*/case.json', SHARED).map(dirname) : [];

if (!present) {
  console.warn(`corpus tests skipped: ${SHARED} does not exist`);
  describe.skip(`corpus tests (${SHARED} does not exist)`, () => {
    it.todo('runs when ../shared exists');
  });
}

describe.runIf(present)('corpus: Semaphore parser fixtures', () => {
  it.each(parserTests.filter((f) => f.endsWith('.pass.hcl')).map((f) => [basename(f), f]))(
    '%s loads without errors',
    async (_, file) => {
      const { errors } = await load([file], SHARED);
      expect(errors).toEqual([]);
    },
  );

  it.each(parserTests.filter((f) => f.endsWith('.fail.hcl')).map((f) => [basename(f), f]))(
    '%s fails at file:line',
    async (_, file) => {
      const { errors } = await load([file], SHARED);
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) expect(error).toMatch(new RegExp(`^${file.replace(/[.*]/g, '\\$&')}:[1-9]\\d*: `));
    },
  );
});

describe.runIf(present)('corpus: examples', () => {
  it.each(examples.map((f) => [f.slice(SHARED.length), f]))('%s loads without errors', async (_, file) => {
    const { spec, errors } = await load([file], SHARED);
    expect(errors).toEqual([]);
    expect(spec.flows.length).toBeGreaterThan(0);
  });
});

// The project's own examples need nothing from ../shared: they always run.
describe('corpus: bundled examples', () => {
  it('the bundled examples/ load without errors', async () => {
    const { spec, errors } = await load(['examples/*/config.hcl'], ROOT);
    expect(errors).toEqual([]);
    expect(spec.flows.length).toBeGreaterThan(0);
  });
});

describe.runIf(present)('corpus: conformance cases', () => {
  it.each(cases.map((d) => [basename(d), d]))('%s loads with the env it is given', async (_, dir) => {
    const json: unknown = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
    const spec = json as { config?: string; env?: Record<string, string>; upstreams?: Record<string, unknown> };
    const env: Record<string, string> = {
      HTTP_ADDRESS: '127.0.0.1:1',
      GRAPHQL_ADDRESS: '127.0.0.1:2',
      GRPC_ADDRESS: '127.0.0.1:3',
    };
    for (const name of Object.keys(spec.upstreams ?? {})) env[`UPSTREAM_${name.toUpperCase()}`] = 'http://127.0.0.1:4';
    const { errors, warnings } = await load([spec.config ?? '*.hcl'], dir, { ...env, ...spec.env });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
  });
});

/** Our body in hcl2json's shape, plus the number of blocks hcl2json is known to drop. */
function shadowedBlocks(body: HclBody): number {
  const attributes = new Set(body.filter((m) => m.kind === 'attribute').map((m) => m.name));
  let count = 0;
  for (const member of body) {
    if (member.kind === 'block') count += attributes.has(member.type) ? 1 : shadowedBlocks(member.body);
  }
  return count;
}

describe.runIf(present)('oracle: @cdktf/hcl2json', () => {
  it(
    'decodes every corpus file like hcl2json, allowing only the documented divergences',
    { timeout: 120_000 },
    async () => {
      const { parse } = await import('@cdktf/hcl2json');
      const files = [
        ...expandGlob('semaphore-examples/**/*.hcl', SHARED),
        ...expandGlob('conformance/**/*.hcl', SHARED),
        ...expandGlob('**/*.hcl', FIXTURES),
        ...expandGlob('examples/**/*.hcl', ROOT),
      ];
      expect(files.length).toBeGreaterThan(40);
      let shadowed = 0;
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        const ours = await decodeHcl(text, file);
        expect(ours.diagnostics.errors.map(formatDiagnostic), file).toEqual([]);
        const theirs: unknown = await parse(file, text);
        expect(toHcl2JsonShape(ours.body), file).toEqual(theirs);
        shadowed += shadowedBlocks(ours.body);
      }
      // `message = "…"` beside `message "meta" {}`: hcl2json keeps only the attribute.
      expect(shadowed).toBeGreaterThanOrEqual(5);
    },
  );
});

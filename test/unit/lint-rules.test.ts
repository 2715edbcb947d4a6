/**
 * The lint rules that hold the layering: ESLint (the project's own eslint.config.js) is run
 * on deliberately broken files kept under test/fixtures/lint/ and must report an import
 * cycle and imports against the layer order; the real tree must pass.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/lint/', import.meta.url));

// The fixtures are ignored by the project's config (so `npm run lint` passes); here they are linted on purpose.
const eslint = new ESLint({ cwd: ROOT, ignore: false });

async function ruleIds(file: string, as?: string): Promise<string[]> {
  const results = as
    ? await eslint.lintText(readFileSync(`${FIXTURES}${file}`, 'utf8'), { filePath: `${ROOT}${as}` })
    : await eslint.lintFiles([`${FIXTURES}${file}`]);
  return results.flatMap((r) => r.messages.map((m) => `${m.ruleId}: ${m.message}`));
}

describe('lint rules', { timeout: 120_000 }, () => {
  it('reports an import cycle', async () => {
    const messages = await ruleIds('cycle-a.ts');
    expect(messages).toEqual(['import-x/no-cycle: Dependency cycle detected']);
  });

  it('reports a layer importing a later layer', async () => {
    const messages = await ruleIds('config-imports-transport.ts', 'src/config/config-imports-transport.ts');
    expect(messages).toEqual([
      expect.stringMatching(
        /^import-x\/no-restricted-paths: .*src\/config may not import src\/transport, a later layer$/,
      ),
    ]);
  });

  it('reports a shared module importing a layer', async () => {
    const messages = await ruleIds('shared-imports-compile.ts', 'src/shared/shared-imports-compile.ts');
    expect(messages).toEqual([
      expect.stringMatching(
        /^import-x\/no-restricted-paths: .*src\/shared is shared by every layer and may import none of them$/,
      ),
    ]);
  });

  it('the same import is fine from a later layer', async () => {
    const messages = await ruleIds('config-imports-transport.ts', 'src/daemon/config-imports-transport.ts');
    expect(messages.filter((m) => m.startsWith('import-x/'))).toEqual([]);
  });

  it('passes on the source tree', async () => {
    const results = await eslint.lintFiles(['src', 'cmd']);
    const problems = results.flatMap((r) =>
      r.messages.map((m) => `${r.filePath.slice(ROOT.length)}:${m.line} ${m.ruleId}: ${m.message}`),
    );
    expect(problems).toEqual([]);
  });
});

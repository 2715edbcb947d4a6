/**
 * package.json tells the truth: `"main"` and `"exports"` name built files that load (the
 * package imports itself by name), and what only tests use is not a runtime dependency.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
  main: string;
  exports: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('package.json', () => {
  it('"main" and every "exports" entry exist once built', () => {
    expect(existsSync(`${ROOT}${pkg.main}`)).toBe(true);
    for (const target of Object.values(pkg.exports)) expect(existsSync(`${ROOT}${target}`), target).toBe(true);
    expect(pkg.exports['.']).toBe(`./${pkg.main}`);
  });

  it('the package imports itself by name and exposes the pipeline', async () => {
    const maestro = (await import('maestro')) as Record<string, unknown>;
    for (const name of ['startDaemon', 'loadPlan', 'compile', 'bind', 'Executor', 'ConfigError'])
      expect(typeof maestro[name], name).toBe('function');
  });

  it('@cdktf/hcl2json (the test oracle) is a dev dependency only', () => {
    expect(pkg.dependencies['@cdktf/hcl2json']).toBeUndefined();
    expect(pkg.devDependencies['@cdktf/hcl2json']).toBeDefined();
  });
});

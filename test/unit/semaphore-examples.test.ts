/**
 * Semaphore's own examples must validate unchanged: each through its config.hcl (the
 * custom-functions example has none, so its flow.hcl and protos are given directly).
 * Skipped, saying so, when ../shared is not beside the project.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { formatDiagnostic } from '../../src/errors.js';

const examples = fileURLToPath(new URL('../../../shared/semaphore-examples/examples', import.meta.url));
const present = existsSync(examples);

function configsOf(name: string): { config: string[]; protos?: string[] }[] {
  const dir = join(examples, name);
  if (existsSync(join(dir, 'config.hcl'))) return [{ config: [join(dir, 'config.hcl')] }];
  const nested = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'config.hcl')));
  if (nested.length > 0) return nested.map((d) => ({ config: [join(dir, d, 'config.hcl')] }));
  return [{ config: [join(dir, 'flow.hcl')], protos: [join(dir, 'proto/*.proto')] }];
}

describe.skipIf(!present)('Semaphore examples validate', () => {
  const names = present ? readdirSync(examples).sort() : [];
  for (const name of names) {
    for (const options of configsOf(name)) {
      it(`${name}: ${options.config[0]!.slice(examples.length + 1)}`, async () => {
        const { plan, diagnostics } = await loadPlan({ ...options, env: {} });
        expect(diagnostics.errors.map(formatDiagnostic)).toEqual([]);
        expect(plan!.flows.length).toBeGreaterThan(0);
        expect(plan!.endpoints.length).toBeGreaterThan(0);
      });
    }
  }

  it('consul discovery is compiled for the service that names it (served: test/e2e/discovery.test.ts)', async () => {
    const { plan, diagnostics } = await loadPlan({ config: [join(examples, 'consul/config.hcl')], env: {} });
    expect(diagnostics.warnings.map((w) => w.message).join('\n')).not.toMatch(/discovery/);
    expect(plan!.services.get('com.semaphore.awesome-dogs')!.discovery).toEqual({
      provider: 'consul',
      name: 'consul',
      address: 'http://localhost:8500',
      lookup: { name: 'awesome-dogs', defaultPort: 80, scheme: 'http' },
    });
  });
});

// Without the corpus nothing here can run: say so loudly, and report the suite as skipped (not passed).
if (!present) {
  console.warn(`Semaphore examples skipped: ${examples} does not exist`);
  describe.skip('Semaphore examples validate (../shared/semaphore-examples is not beside the project)', () => {
    it.todo('runs when ../shared/semaphore-examples exists');
  });
}

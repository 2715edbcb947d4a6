/**
 * The operations blocks: `log { redact }` and `telemetry { otlp }` are read with their
 * positions, may be written once across files, and reach the plan; `validate` reports a
 * second one with both places, like every top-level singleton.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/daemon/load.js';
import { load, removeTrees, tree } from '../fixtures/config/helpers.js';

afterAll(removeTrees);

describe('log and telemetry blocks', () => {
  it('are read into the spec and the plan', async () => {
    const dir = tree({
      'main.hcl': 'log {\n  redact = ["X-Api-Key", "X-Session"]\n}\n\ntelemetry {\n  otlp = "$COLLECTOR"\n}\n',
    });
    const loaded = await load(['main.hcl'], dir, { COLLECTOR: 'http://collector:4318' });
    expect(loaded.errors).toEqual([]);
    expect(loaded.spec.log?.redact.map((r) => [r.value, r.pos.line])).toEqual([
      ['X-Api-Key', 2],
      ['X-Session', 2],
    ]);
    expect(loaded.spec.telemetry?.otlp?.value).toBe('http://collector:4318');
    const { plan } = await loadPlan({ config: ['main.hcl'], cwd: dir, env: { COLLECTOR: 'http://collector:4318' } });
    expect(plan?.logRedact).toEqual(['x-api-key', 'x-session']);
    expect(plan?.telemetry).toEqual({ otlp: 'http://collector:4318' });
  });

  it('may be written once, even across files', async () => {
    const dir = tree({
      'a.hcl': 'log {\n  redact = ["A"]\n}\n',
      'b.hcl': '\ntelemetry {\n}\nlog {\n  redact = ["B"]\n}\n',
    });
    const loaded = await load(['a.hcl', 'b.hcl'], dir);
    expect(loaded.errors).toHaveLength(1);
    expect(loaded.errors[0]).toMatch(new RegExp(`^${join(dir, 'b.hcl')}:4:`));
    expect(loaded.errors[0]).toContain(`${join(dir, 'a.hcl')}:1`);
  });
});

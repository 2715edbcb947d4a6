import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MaestroError } from '../../src/errors.js';
import { FunctionError, loadFunctionModule, type TemplateFunction } from '../../src/functions/index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/functions/${name}`, import.meta.url));
const context = { jwt: new Map(), env: { REGION: 'eu-west' } };
const byName = (list: TemplateFunction[]): Map<string, TemplateFunction> => new Map(list.map((f) => [f.name, f]));

async function loadError(name: string): Promise<MaestroError> {
  try {
    await loadFunctionModule(fixture(name), context);
  } catch (error) {
    if (error instanceof MaestroError) return error;
    throw error;
  }
  throw new Error('expected the module to be refused');
}

describe('loadFunctionModule', () => {
  it('loads plain functions and function objects from the default export', async () => {
    const fns = byName(await loadFunctionModule(fixture('object.mjs'), context));
    expect(fns.get('greet')).toMatchObject({ minArgs: 0, maxArgs: Infinity, returns: 'dynamic' });
    expect(fns.get('greet')!.invoke(['Ann'])).toBe('hi Ann');
    expect(fns.get('add')).toMatchObject({ minArgs: 2, maxArgs: 2, returns: 'number' });
    expect(fns.get('add')!.invoke([2, 3])).toBe(5);
  });

  it('turns what user code throws or returns wrongly into FunctionError', async () => {
    const fns = byName(await loadFunctionModule(fixture('object.mjs'), context));
    expect(() => fns.get('boom')!.invoke([])).toThrow(new FunctionError('boom: kaboom', 500));
    expect(() => fns.get('later')!.invoke([])).toThrow(/must be synchronous/);
  });

  it('reads the named export "functions" and default factories', async () => {
    const named = byName(await loadFunctionModule(fixture('named.mjs'), context));
    expect(named.get('twice')).toMatchObject({ minArgs: 0, maxArgs: Infinity, returns: 'string' });
    expect(named.get('twice')!.invoke(['ab'])).toBe('abab');
    const made = byName(await loadFunctionModule(fixture('factory.mjs'), context));
    expect(made.get('region')!.invoke([])).toBe('eu-west');
  });

  it('refuses invalid shapes with a message naming the file', async () => {
    const shape = await loadError('invalid-shape.mjs');
    expect(shape.code).toBe('MAESTRO_ERR_FUNCTION_MODULE');
    expect(shape.message).toContain('invalid-shape.mjs');
    expect(shape.message).toContain('expected a default export');
    expect((await loadError('invalid-entry.mjs')).message).toMatch(
      /invalid-entry\.mjs: "broken" has no invoke\(\) function/,
    );
    expect((await loadError('invalid-arity.mjs')).message).toMatch(/"narrow"\.maxArgs must be/);
    expect((await loadError('missing.mjs')).message).toMatch(/missing\.mjs: cannot be loaded/);
  });
});

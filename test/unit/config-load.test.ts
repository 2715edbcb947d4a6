import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, load, removeTrees, tree } from '../fixtures/config/helpers.js';

afterAll(removeTrees);

describe('loadConfig: files, globs and includes', () => {
  it('loads a file and what it includes, relative to the including file', async () => {
    const { spec, errors } = await load(['shop/config.hcl'], FIXTURES);
    expect(errors).toEqual([]);
    expect(spec.files).toEqual([
      join(FIXTURES, 'shop/config.hcl'),
      join(FIXTURES, 'shop/flows/checkout.hcl'),
      join(FIXTURES, 'shop/flows/gateway.hcl'),
    ]);
    expect(spec.flows.map((f) => f.name)).toEqual(['checkout', 'gateway']);
  });

  it('expands a quoted glob given as --config', async () => {
    const { spec, errors } = await load(['./shop/flows/*.hcl'], FIXTURES);
    expect(errors).toEqual([]);
    expect(spec.files.map((f) => f.slice(FIXTURES.length))).toEqual([
      'shop/flows/checkout.hcl',
      'shop/flows/gateway.hcl',
    ]);
  });

  it('reports a pattern that matches nothing', async () => {
    const { errors } = await load(['nowhere/*.hcl', 'shop/config.hcl'], FIXTURES);
    expect(errors).toEqual([`${join(FIXTURES, 'nowhere/*.hcl')}: no file matches "nowhere/*.hcl"`]);
  });

  it('loads each file once: include cycles and a glob overlapping an include are harmless', async () => {
    for (const pattern of ['cycle/a.hcl', 'cycle/*.hcl']) {
      const { spec, errors } = await load([pattern], FIXTURES);
      expect(errors).toEqual([]);
      expect(spec.flows.map((f) => f.name)).toEqual(['a', 'b']);
      expect(spec.files).toHaveLength(2);
    }
  });

  it('reports each include that matches nothing at its own line', async () => {
    const { errors } = await load(['missing/config.hcl'], FIXTURES);
    const file = join(FIXTURES, 'missing/config.hcl');
    expect(errors).toEqual([
      `${file}:6: include "nothing/*.hcl" matches no file`,
      `${file}:7: include "also-missing.hcl" matches no file`,
    ]);
  });

  it('merges files: lists append, a second http block names both places', async () => {
    const { spec, errors } = await load(['merge/*.hcl'], FIXTURES);
    expect(spec.flows.map((f) => f.name)).toEqual(['one', 'two']);
    expect(spec.protobuffers.map((p) => p.value)).toEqual([
      join(FIXTURES, 'merge/one.proto'),
      join(FIXTURES, 'merge/two.proto'),
    ]);
    expect(spec.http?.address.value).toBe(':8080');
    expect(errors).toEqual([
      `${join(FIXTURES, 'merge/two.hcl')}:5: duplicate http block at the top level; the first is at ${join(FIXTURES, 'merge/one.hcl')}:3`,
    ]);
  });

  it('keeps loading after a broken file, so the errors of every file are reported at once', async () => {
    const dir = tree({ 'a.hcl': 'flow "a" {\n  x =\n}\n', 'b.hcl': 'flw "b" {}\n', 'c.hcl': 'flow "c" {}\n' });
    const { spec, errors } = await load(['*.hcl'], dir);
    expect(errors.map((e) => e.slice(dir.length + 1).split(': ')[0])).toEqual(['a.hcl:2', 'b.hcl:1']);
    expect(spec.flows.map((f) => f.name)).toEqual(['a', 'c']);
  });

  it('reports an unreadable file without throwing', async () => {
    const dir = tree({ 'dir.hcl/inner': '' });
    const { errors } = await load(['dir.hcl'], dir);
    expect(errors).toEqual([`${join(dir, 'dir.hcl')}: cannot read the file (EISDIR)`]);
  });
});

describe('loadConfig: $VAR expansion', () => {
  it('substitutes $NAME and ${NAME}; $$ is a literal $; $${ stays a literal ${', async () => {
    const dir = tree({
      'main.hcl':
        'http {\n  address = "$HOST:${PORT}"\n}\nflow "f" {\n  output {\n    a = "$$HOST"\n    b = "$${HOST}"\n    c = "cost: 5$"\n  }\n}\n',
    });
    const { spec, errors, warnings } = await load(['main.hcl'], dir, { HOST: 'example', PORT: '80' });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(spec.http?.address.value).toBe('example:80');
    expect(spec.flows[0]?.output?.fields.map((f) => (f.kind === 'value' ? f.value : undefined))).toEqual([
      '$HOST',
      '${HOST}',
      'cost: 5$',
    ]);
  });

  it('makes an unset variable empty and names it (not its value) in a positioned warning', async () => {
    const dir = tree({
      'main.hcl': '# $IN_COMMENT is left alone\nlog_level = "$LEVEL"\nhttp {\n  address = "${ADDR}"\n}\n',
    });
    const { spec, warnings } = await load(['main.hcl'], dir, { LEVEL: 'debug' });
    expect(spec.logLevel?.value).toBe('debug');
    expect(spec.http?.address.value).toBe('');
    expect(warnings).toEqual([
      `${join(dir, 'main.hcl')}:4: warning: environment variable ADDR is not set; using an empty string`,
    ]);
  });

  it('escapes values so they can neither end a string, open a template, nor move lines', async () => {
    const tricky = 'a"b\\c\nd ${x} %{y} {{ z }}';
    const dir = tree({ 'main.hcl': 'flow "f" {\n  output {\n    v = "<$TRICKY>"\n  }\n}\nflow "after" {}\n' });
    const { spec, errors } = await load(['main.hcl'], dir, { TRICKY: tricky });
    expect(errors).toEqual([]);
    const field = spec.flows[0]?.output?.fields[0];
    expect(field?.kind === 'value' && field.value).toBe(`<${tricky}>`);
    expect(spec.flows[1]?.pos.line).toBe(6);
  });

  it('never shows an expanded value in an error message', async () => {
    const dir = tree({ 'main.hcl': 'include = ["$SECRET_DIR/*.hcl"]\nlog_level = 5\n' });
    const { diagnostics } = await load(['main.hcl'], dir, { SECRET_DIR: 'hunter2' });
    const messages = diagnostics.items.map((d) => d.message);
    expect(messages).toEqual([
      '"log_level" at the top level must be a string',
      'include built from environment variables matches no file',
    ]);
    expect(messages.join('\n')).not.toContain('hunter2');
  });

  it('lets an include path come from the environment', async () => {
    const dir = tree({ 'main.hcl': 'include = ["$FLOW_DIR/*.hcl"]', 'flows/x.hcl': 'flow "x" {}' });
    const { spec, errors } = await load(['main.hcl'], dir, { FLOW_DIR: 'flows' });
    expect(errors).toEqual([]);
    expect(spec.flows.map((f) => f.name)).toEqual(['x']);
  });
});

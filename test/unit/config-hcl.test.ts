import { describe, expect, it } from 'vitest';
import type { HclAttribute, HclBlock, HclBody } from '../../src/config/index.js';
import { decodeHcl } from '../../src/config/index.js';
import { formatDiagnostic } from '../../src/errors.js';

const FILE = '/virtual/test.hcl';

async function decode(text: string) {
  const { body, diagnostics } = await decodeHcl(text, FILE);
  return { body, errors: diagnostics.errors.map(formatDiagnostic) };
}

/** Decodes text that must be valid; returns attribute values by name. */
async function values(text: string): Promise<Record<string, unknown>> {
  const { body, errors } = await decode(text);
  expect(errors).toEqual([]);
  return Object.fromEntries(
    body.filter((m): m is HclAttribute => m.kind === 'attribute').map((a) => [a.name, a.value]),
  );
}

const blocks = (body: HclBody): HclBlock[] => body.filter((m): m is HclBlock => m.kind === 'block');

describe('decodeHcl: values', () => {
  it('decodes string escapes, and $${ / %%{ to literal ${ / %{', async () => {
    const v = await values('a = "line\\nnext \\"q\\" back\\\\slash tab\\t \\u00e9 \\U0001F600 $${x} %%{y}"');
    expect(v.a).toBe('line\nnext "q" back\\slash tab\t é 😀 ${x} %{y}');
  });

  it('keeps {{ }} and << >> template text as written, even `<<` inside a string', async () => {
    const v = await values('a = "{{ input:a }} and << b:c >>"\nb = "x << y"');
    expect(v).toEqual({ a: '{{ input:a }} and << b:c >>', b: 'x << y' });
  });

  it('keeps leading, trailing and inner whitespace of strings', async () => {
    expect((await values('a = "  two  spaces  "')).a).toBe('  two  spaces  ');
  });

  it('decodes heredocs, plain and indented (<<-)', async () => {
    const v = await values('a = <<EOT\nhello\n  world\nEOT\nb = <<-EOT\n    one\n      two\n    EOT\nc = 1\n');
    expect(v).toEqual({ a: 'hello\n  world\n', b: 'one\n  two\n', c: 1 });
  });

  it('keeps integers beyond 2^53 exact as bigint', async () => {
    const v = await values('big = 12345678901234567890\nneg = -9007199254740993\nsafe = 9007199254740991');
    expect(v).toEqual({ big: 12345678901234567890n, neg: -9007199254740993n, safe: 9007199254740991 });
  });

  it('reads numbers with exponents (tree-sitter cannot), leaving strings and identifiers alone', async () => {
    const v = await values('a = 1e3\nb = [2.5E-1, 1e1]\nc = { x = -1e2 }\nd = "1e3"\nx-1e3 = 1\ne = 1.5');
    expect(v).toEqual({ a: 1000, b: [0.25, 10], c: { x: -100 }, d: '1e3', 'x-1e3': 1, e: 1.5 });
  });

  it('decodes booleans, null, tuples and objects with identifier or string keys, in order', async () => {
    const v = await values(
      't = true\nf = false\nn = null\nl = [1, "two", [3],]\no = { z = 1, "a": 2\n  m = { "k" = [] } }',
    );
    expect(v).toEqual({ t: true, f: false, n: null, l: [1, 'two', [3]], o: { z: 1, a: 2, m: { k: [] } } });
    expect(Object.keys(v.o as object)).toEqual(['z', 'a', 'm']);
  });

  it('records the position of each tuple element', async () => {
    const { body } = await decode('list = [\n  "a",\n  "b",\n]');
    const [list] = body as HclAttribute[];
    expect(list!.items?.map((p) => p.line)).toEqual([2, 3]);
    expect(list!.valuePos).toEqual({ file: FILE, line: 1, column: 8 });
  });

  it('skips comments of every style', async () => {
    const v = await values('# one\n// two\n/* three\n */ a = [1, # inside\n 2]\nb = "#not a comment"');
    expect(v).toEqual({ a: [1, 2], b: '#not a comment' });
  });
});

describe('decodeHcl: structure', () => {
  it('keeps blocks with labels, nested bodies and positions', async () => {
    const { body, errors } = await decode(
      'flow "a" {\n  resource "b" {\n    x = 1\n  }\n}\nrewrite "/(.*)" "/$1" {}\n',
    );
    expect(errors).toEqual([]);
    const [flow, rewrite] = blocks(body);
    expect(flow).toMatchObject({ type: 'flow', labels: ['a'], pos: { file: FILE, line: 1, column: 1 } });
    expect(blocks(flow!.body)[0]).toMatchObject({ type: 'resource', labels: ['b'], pos: { line: 2, column: 3 } });
    expect(rewrite).toMatchObject({
      labels: ['/(.*)', '/$1'],
      labelPos: [
        { line: 6, column: 9 },
        { line: 6, column: 17 },
      ],
    });
  });

  it('keeps an attribute and a block that share a name (hcl2json loses one)', async () => {
    const { body, errors } = await decode('output {\n  message = "text"\n  message "meta" { id = 1 }\n}');
    expect(errors).toEqual([]);
    const inner = blocks(body)[0]!.body;
    expect(inner.map((m) => (m.kind === 'attribute' ? `attribute ${m.name}` : `block ${m.type}`))).toEqual([
      'attribute message',
      'block message',
    ]);
  });

  it('keeps blocks in file order (rewrite rules are tried in that order)', async () => {
    const text = ['rewrite "/c" "/3" {}', 'rewrite "/a" "/1" {}', 'rewrite "/b" "/2" {}'].join('\n');
    const { body } = await decode(text);
    expect(blocks(body).map((b) => b.labels[0])).toEqual(['/c', '/a', '/b']);
  });

  it('accepts a leading comment before the body', async () => {
    const { body } = await decode('// comment\nflow "a" {}');
    expect(blocks(body)).toHaveLength(1);
  });
});

describe('decodeHcl: errors, positioned', () => {
  it('rejects a duplicate attribute, naming it and the earlier line', async () => {
    const { errors } = await decode('a = 1\nb = 2\na = 3');
    expect(errors).toEqual([`${FILE}:3: attribute "a" is already set at line 1; each attribute may be set only once`]);
  });

  it('rejects duplicates inside nested blocks too', async () => {
    const { errors } = await decode('flow "x" {\n  input {}\n  output {\n    id = 1\n    id = 2\n  }\n}');
    expect(errors).toEqual([expect.stringMatching(/:5: attribute "id" is already set at line 4/)]);
  });

  it('turns a syntax error into file:line', async () => {
    const { errors } = await decode('flow "a" {\n  x =\n}\n');
    expect(errors).toEqual([expect.stringMatching(new RegExp(`^${FILE}:2: syntax error`))]);
  });

  it('names an attribute left without a value, at its own line', async () => {
    const named = await decode(
      'flow "a" {\n  resource "x" {\n    request "s" "m" {\n      a = \n    }\n  }\n}\nendpoint "b" "http" { endpoint = "/b" }\n',
    );
    expect(named.errors[0]).toMatch(new RegExp(`^${FILE}:4: syntax error: attribute "a" has no valid value`));
    const bare = await decode('flow "a" {\n  resource "x" {\n    request "s" "m" {\n      a =\n    }\n  }\n}\n');
    expect(bare.errors[0]).toMatch(new RegExp(`^${FILE}:4: syntax error near "a ="`));
  });

  it('reports a missing closing brace', async () => {
    const { errors } = await decode('flow "a" {\n  x = 1\n');
    expect(errors[0]).toMatch(/:3: syntax error: missing "}"/);
  });

  it('rejects expressions: variables, calls, operators, conditionals', async () => {
    const { errors } = await decode('a = foo\nb = upper("x")\nc = 1 + 2\nd = x ? 1 : 2\ne = var.x');
    expect(errors).toHaveLength(5);
    for (const [i, error] of errors.entries()) {
      expect(error).toBe(`${FILE}:${i + 1}: expressions are not supported here; quote the value`);
    }
  });

  it('rejects ${…} interpolation and %{…} directives, in strings and heredocs', async () => {
    const { errors } = await decode('a = "${x}"\nb = "%{ if x }y%{ endif }"\nc = <<EOT\n${y}\nEOT\n');
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/:1: "\$\{…\}" and "%\{…\}" are not supported/);
  });

  it('rejects quoted strings spanning lines and bad escapes', async () => {
    const { errors } = await decode('a = "one\ntwo"\nb = "\\q"');
    expect(errors.some((e) => /:1: .*may not span lines/.test(e))).toBe(true);
    // tree-sitter already rejects an unknown escape; either way line 3 is named.
    expect(errors.some((e) => /:3: (invalid escape sequence "\\q"|syntax error)/.test(e))).toBe(true);
  });

  it('reports a string left open once, not the errors that follow from it', async () => {
    const { errors } = await decode('flow "a" {\n  resources {\n    x = "open\n  }\n}\n');
    expect(errors).toEqual([
      `${FILE}:3: unterminated string: a quoted string must end on its line (use "\\n" or a heredoc for several lines)`,
    ]);
  });

  it('reports every error at once', async () => {
    const { errors } = await decode('a = foo\na = 1\nflow "x" {\n  b = bar\n}');
    expect(errors.map((e) => e.split(': ')[0])).toEqual([`${FILE}:1`, `${FILE}:4`]);
  });
});

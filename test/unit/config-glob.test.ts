import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandBraces, expandGlob, expandEnv, isGlob } from '../../src/config/index.js';
import { Diagnostics } from '../../src/errors.js';
import { removeTrees, tree } from '../fixtures/config/helpers.js';

let dir: string;
const rel = (paths: string[]) => paths.map((p) => p.slice(dir.length + 1));

beforeAll(() => {
  dir = tree({
    'a.hcl': '',
    'b.hcl': '',
    '.hidden.hcl': '',
    'sub/c.hcl': '',
    'sub/deep/d.hcl': '',
    'sub/e.proto': '',
    'x1.txt': '',
    'x2.txt': '',
    'xa.txt': '',
  });
});
afterAll(removeTrees);

describe('expandGlob', () => {
  it('matches * and ? within one directory, skipping dot files', () => {
    expect(rel(expandGlob('*.hcl', dir))).toEqual(['a.hcl', 'b.hcl']);
    expect(rel(expandGlob('x?.txt', dir))).toEqual(['x1.txt', 'x2.txt', 'xa.txt']);
    expect(rel(expandGlob('.*.hcl', dir))).toEqual(['.hidden.hcl']);
  });

  it('matches ** at any depth, and dir/** as every file below', () => {
    expect(rel(expandGlob('**/*.hcl', dir))).toEqual(['a.hcl', 'b.hcl', 'sub/c.hcl', 'sub/deep/d.hcl']);
    expect(rel(expandGlob('sub/**', dir))).toEqual(['sub/c.hcl', 'sub/deep/d.hcl', 'sub/e.proto']);
  });

  it('matches character classes, negated too', () => {
    expect(rel(expandGlob('x[0-9].txt', dir))).toEqual(['x1.txt', 'x2.txt']);
    expect(rel(expandGlob('x[!0-9].txt', dir))).toEqual(['xa.txt']);
  });

  it('expands {a,b}, sorted and without duplicates', () => {
    expect(rel(expandGlob('{b,a}.hcl', dir))).toEqual(['a.hcl', 'b.hcl']);
    expect(rel(expandGlob('{a,*}.hcl', dir))).toEqual(['a.hcl', 'b.hcl']);
    expect(rel(expandGlob('sub/{c.hcl,e.proto}', dir))).toEqual(['sub/c.hcl', 'sub/e.proto']);
  });

  it('returns a plain path when it exists, else nothing; absolute and ../ patterns work', () => {
    expect(expandGlob('a.hcl', dir)).toEqual([join(dir, 'a.hcl')]);
    expect(expandGlob('missing.hcl', dir)).toEqual([]);
    expect(expandGlob(join(dir, '*.hcl'), '/elsewhere')).toEqual([join(dir, 'a.hcl'), join(dir, 'b.hcl')]);
    expect(rel(expandGlob('../*.hcl', join(dir, 'sub')))).toEqual(['a.hcl', 'b.hcl']);
  });

  it('matches files only, never directories', () => {
    expect(rel(expandGlob('*', dir))).toEqual(['a.hcl', 'b.hcl', 'x1.txt', 'x2.txt', 'xa.txt']);
  });
});

describe('expandBraces / isGlob', () => {
  it('expands nested braces and leaves lone braces alone', () => {
    expect(expandBraces('a{b,c{d,e}}f')).toEqual(['abf', 'acdf', 'acef']);
    expect(expandBraces('{only}')).toEqual(['{only}']);
    expect(isGlob('flows/*.hcl')).toBe(true);
    expect(isGlob('{a,b}.hcl')).toBe(true);
    expect(isGlob('flows/main.hcl')).toBe(false);
  });
});

describe('expandEnv', () => {
  const run = (text: string, env: Record<string, string>) => {
    const diagnostics = new Diagnostics();
    return { ...expandEnv(text, env, '/f.hcl', diagnostics), warnings: diagnostics.warnings.map((w) => w.message) };
  };

  it('leaves regex anchors, $1 and lone $ alone', () => {
    expect(run('a = "^/x$"\nb = "$1 $ $-"', {}).text).toBe('a = "^/x$"\nb = "$1 $ $-"');
  });

  it('escapes per context: quoted string, heredoc, bare code', () => {
    const env = { V: 'q"${x}\n' };
    expect(run('a = "$V"', env).text).toBe('a = "q\\"$${x}\\n"');
    expect(run('a = <<EOT\n$V\nEOT\n', env).text).toBe('a = <<EOT\nq"$${x}\n\nEOT\n');
    expect(run('port = $P', { P: '80' }).text).toBe('port = 80');
    expect(run('list = ["a", $Q, "$Q"]', { Q: '"b"' }).text).toBe('list = ["a", "b", "\\"b\\""]');
  });

  it('does not expand in comments, and records the lines it changed', () => {
    const result = run('# $A\n// $A\n/* $A */\nx = "$A"', { A: 'v' });
    expect(result.text).toBe('# $A\n// $A\n/* $A */\nx = "v"');
    expect([...result.expandedLines]).toEqual([4]);
    expect(result.warnings).toEqual([]);
  });
});

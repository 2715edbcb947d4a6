import { Parser, Language } from 'web-tree-sitter';
import { createRequire } from 'node:module';
import fs from 'node:fs';
const require = createRequire(import.meta.url);
await Parser.init();
const lang = await Language.load(require.resolve('@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-hcl.wasm'));
const p = new Parser(); p.setLanguage(lang);
const text = fs.readFileSync(process.argv[2], 'utf8');
const tree = p.parse(text);
function dump(n, d) {
  const field = n.parent ? null : null;
  console.log(' '.repeat(d*2) + n.type + (n.isNamed? '' : '(anon)') + ` [${n.startPosition.row+1}:${n.startPosition.column+1}]` + (n.childCount===0 ? ' ' + JSON.stringify(n.text) : '') + (n.isMissing ? ' MISSING':'') );
  for (let i=0;i<n.childCount;i++) { const fn = n.fieldNameForChild(i); if (fn) process.stdout.write(' '.repeat(d*2+2)+fn+':\n'); dump(n.child(i), d+1); }
}
dump(tree.rootNode, 0);

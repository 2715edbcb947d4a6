/**
 * HCL text → positioned generic body (see ast.ts). tree-sitter finds the structure and
 * the syntax errors; values are read from the text ranges it reports (hcl-values.ts).
 *
 *   text ─prepareForParser─▶ tree-sitter ─▶ syntax errors (ERROR / MISSING nodes)
 *     │                         └──────▶ attributes and blocks, in file order
 *     └──────────────────── values read from the original text, by offset
 *
 * tree-sitter is lenient where HCL is not, so this file also rejects what HCL rejects:
 * duplicate attributes in one body, and (in hcl-values.ts) multi-line quoted strings,
 * bad escapes and any expression other than a literal.
 */
import { createRequire } from 'node:module';
import type { Node, Parser } from 'web-tree-sitter';
import { Diagnostics } from '../errors.js';
import type { Pos } from '../spec/types.js';
import type { HclAttribute, HclBlock, HclBody } from './ast.js';
import { readLabel, readValue, type Source } from './hcl-values.js';
import { prepareForParser } from './prepare.js';
import { lineStarts, position } from './regions.js';

export type HclDecoder = (text: string, file: string, diagnostics: Diagnostics) => HclBody;

/** A parser of its own: decode files, then close it to give its memory back. */
export interface HclParser {
  readonly decode: HclDecoder;
  close(): void;
}

/**
 * Loads tree-sitter and the HCL grammar afresh. The CommonJS build is required through a
 * require() of our own and dropped from the module cache at once, so that once closed,
 * nothing holds the WebAssembly instance: its memory (about 8 MB resident after parsing
 * a configuration) and code go back with the next GC, instead of staying for the life of
 * a daemon that parsed its files once at start (or at a reload).
 */
export async function openHclParser(): Promise<HclParser> {
  const require = createRequire(import.meta.url);
  const id = require.resolve('web-tree-sitter');
  const treeSitter = require(id) as typeof import('web-tree-sitter');
  delete require.cache[id];
  await treeSitter.Parser.init();
  const language = await treeSitter.Language.load(
    require.resolve('@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-hcl.wasm'),
  );
  const parser = new treeSitter.Parser();
  parser.setLanguage(language);
  return {
    decode: (text, file, diagnostics) => decodeWith(parser, text, file, diagnostics),
    close: () => parser.delete(),
  };
}

// For tests and tools that decode file after file: one parser, kept.
let kept: Promise<HclParser> | undefined;

/** A decoder on a parser kept for the life of the process (tests, tools); the daemon uses openHclParser. */
export async function createHclDecoder(): Promise<HclDecoder> {
  kept ??= openHclParser();
  return (await kept).decode;
}

/** Decodes one file's text; for tests and tools that handle a single file. */
export async function decodeHcl(text: string, file: string): Promise<{ body: HclBody; diagnostics: Diagnostics }> {
  const diagnostics = new Diagnostics();
  const decode = await createHclDecoder();
  return { body: decode(text, file, diagnostics), diagnostics };
}

interface Context extends Source {
  /** Whether the tree has syntax errors: nodes are then checked before being read. */
  broken: boolean;
  /** Maps an offset in the parsed copy to the original text (see prepare.ts). */
  toOriginal(offset: number): number;
}

function decodeWith(parser: Parser, text: string, file: string, diagnostics: Diagnostics): HclBody {
  const prepared = prepareForParser(text);
  const tree = parser.parse(prepared.text);
  if (!tree) {
    diagnostics.error('MAESTRO_ERR_HCL_SYNTAX', { file, line: 0, column: 0 }, 'the HCL parser gave no result');
    return [];
  }
  try {
    const root = tree.rootNode;
    const { toOriginal } = prepared;
    const ctx: Context = { file, text, lineStarts: lineStarts(text), diagnostics, broken: root.hasError, toOriginal };
    if (ctx.broken) reportSyntaxErrors(root, ctx, unterminatedString(prepared.unterminated, ctx));
    // A leading comment is a sibling of the body, not inside it.
    const body = root.namedChildren.find((child) => child?.type === 'body');
    return body ? decodeBody(body, ctx) : [];
  } finally {
    tree.delete();
  }
}

function nodePos(node: Node, ctx: Context): Pos {
  return position(ctx.file, ctx.lineStarts, ctx.toOriginal(node.startIndex));
}

/** The original text a node covers. */
function nodeText(node: Node, ctx: Context): string {
  return ctx.text.slice(ctx.toOriginal(node.startIndex), ctx.toOriginal(node.endIndex));
}

/**
 * A string left open swallows the rest of its line and confuses tree-sitter from there
 * on, so it is reported plainly (as HCL does) and returns the line after which
 * tree-sitter's own errors are likely consequences of it.
 */
function unterminatedString(offset: number | undefined, ctx: Context): number {
  if (offset === undefined) return Infinity;
  const pos = position(ctx.file, ctx.lineStarts, offset);
  const message =
    'unterminated string: a quoted string must end on its line (use "\\n" or a heredoc for several lines)';
  ctx.diagnostics.error('MAESTRO_ERR_HCL_SYNTAX', pos, message);
  return pos.line;
}

/** Reports the outermost ERROR and every MISSING node before `lastLine`; the body decoder skips them. */
function reportSyntaxErrors(node: Node, ctx: Context, lastLine: number): void {
  const report = (message: string): void => {
    const pos = nodePos(node, ctx);
    if (pos.line < lastLine) ctx.diagnostics.error('MAESTRO_ERR_HCL_SYNTAX', pos, message);
  };
  if (node.isMissing) {
    // tree-sitter recovers from `a =` with nothing after it by inventing an object whose
    // "{" is missing, pointing at the next line: name the attribute, at its own line.
    const attribute = enclosingAttribute(node);
    if (attribute) {
      const pos = nodePos(attribute, ctx);
      const name = attribute.firstNamedChild ? nodeText(attribute.firstNamedChild, ctx) : '';
      if (pos.line < lastLine)
        ctx.diagnostics.error(
          'MAESTRO_ERR_HCL_SYNTAX',
          pos,
          `syntax error: attribute "${name}" has no valid value (missing "${node.type}")`,
        );
      return;
    }
    return report(`syntax error: missing "${node.type}"`);
  }
  if (node.type === 'ERROR') {
    // An ERROR that spans the open string is a consequence of it.
    const end = position(ctx.file, ctx.lineStarts, ctx.toOriginal(node.endIndex));
    if (end.line >= lastLine) return;
    return report(`syntax error near "${nodeText(node, ctx).trim().split('\n')[0]!.slice(0, 40)}"`);
  }
  for (const child of node.children) {
    if (child && (child.hasError || child.isMissing)) reportSyntaxErrors(child, ctx, lastLine);
  }
}

function enclosingAttribute(node: Node): Node | undefined {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === 'attribute') return n;
    if (n.type === 'block' || n.type === 'body') return undefined;
  }
  return undefined;
}

function decodeBody(node: Node, ctx: Context): HclBody {
  const body: HclBody = [];
  const attributes = new Map<string, HclAttribute>();
  for (const child of node.namedChildren) {
    const type = child?.type;
    if (!child || (type !== 'attribute' && type !== 'block')) continue; // comments; ERRORs are reported
    if (type === 'block') {
      // A block with an error inside is still decoded: its broken members are skipped.
      const block = decodeBlock(child, ctx);
      if (block) body.push(block);
      continue;
    }
    if (ctx.broken && child.hasError) continue;
    const attribute = decodeAttribute(child, ctx);
    if (!attribute) continue;
    const earlier = attributes.get(attribute.name);
    if (earlier) {
      const message = `attribute "${attribute.name}" is already set at line ${earlier.pos.line}; each attribute may be set only once`;
      ctx.diagnostics.error('MAESTRO_ERR_HCL_DUPLICATE', attribute.pos, message);
      continue;
    }
    attributes.set(attribute.name, attribute);
    body.push(attribute);
  }
  return body;
}

const EXPONENT_TAIL = /(?<=\d)[eE][+-]?\d+/y;
const ATTRIBUTE_HEAD = /([\p{ID_Start}_][\p{ID_Continue}-]*)[ \t]*=[ \t]*/uy;

function decodeAttribute(node: Node, ctx: Context): HclAttribute | undefined {
  ATTRIBUTE_HEAD.lastIndex = ctx.toOriginal(node.startIndex);
  const head = ATTRIBUTE_HEAD.exec(ctx.text);
  if (!head) return undefined;
  const valueAt = ATTRIBUTE_HEAD.lastIndex;
  // tree-sitter saw `1e3` as `1   ` (prepare.ts), so its range stops before the exponent.
  const nodeEnd = ctx.toOriginal(node.endIndex);
  EXPONENT_TAIL.lastIndex = nodeEnd;
  const end = EXPONENT_TAIL.test(ctx.text) ? EXPONENT_TAIL.lastIndex : nodeEnd;
  const decoded = readValue(ctx, valueAt, end);
  if (!decoded) return undefined;
  const attribute: HclAttribute = {
    kind: 'attribute',
    name: head[1]!,
    value: decoded.value,
    pos: nodePos(node, ctx),
    valuePos: position(ctx.file, ctx.lineStarts, valueAt),
  };
  if (decoded.items) attribute.items = decoded.items;
  return attribute;
}

function decodeBlock(node: Node, ctx: Context): HclBlock | undefined {
  let type: string | undefined;
  const labels: string[] = [];
  const labelPos: Pos[] = [];
  let body: HclBody = [];
  let ok = true;
  for (const child of node.namedChildren) {
    const kind = child?.type;
    if (!child) continue;
    if (kind === 'identifier' && type === undefined) {
      type = nodeText(child, ctx);
    } else if (kind === 'identifier' || kind === 'string_lit' || kind === 'template_expr') {
      const label = kind === 'identifier' ? nodeText(child, ctx) : readLabel(ctx, ctx.toOriginal(child.startIndex));
      if (label === undefined) ok = false;
      labels.push(label ?? '');
      labelPos.push(nodePos(child, ctx));
    } else if (kind === 'body') {
      body = decodeBody(child, ctx);
    }
  }
  if (type === undefined || !ok) return undefined;
  return { kind: 'block', type, labels, labelPos, body, pos: nodePos(node, ctx) };
}

/**
 * Template parsing: finds `{{ … }}` / `<< … >>` spans in a string and parses what is
 * inside. Runs once per string at compile time; the result is turned into closures by
 * build.ts.
 */
import type { Condition, Expression, ReferenceExpression, Template } from './ast.js';
import { TemplateError } from './error.js';
import { ExpressionReader } from './expression.js';

/**
 *   "{{ input:id }}"           → single (the value keeps its type)
 *   "Hello {{ input:name }}!"  → text   (always renders to a string)
 *   "plain"                    → plain
 * Throws TemplateError with the offset of the problem.
 */
export function parseTemplate(text: string): Template {
  let at = nextOpener(text, 0);
  if (at < 0) return { kind: 'plain', value: text };
  const reader = new ExpressionReader(text);
  const parts: Array<string | Expression> = [];
  let from = 0;
  while (at >= 0) {
    if (at > from) parts.push(text.slice(from, at));
    reader.pos = at;
    parts.push(reader.template());
    from = reader.pos;
    at = nextOpener(text, from);
  }
  if (from < text.length) parts.push(text.slice(from));
  const only = parts[0];
  if (parts.length === 1 && only !== undefined && typeof only !== 'string') return { kind: 'single', expression: only };
  return { kind: 'text', parts };
}

/**
 * A reference written on its own, as Semaphore's `repeated "items" "input:items"` source
 * label is: bare (`input:items`) or as a template (`{{ input:items }}`).
 */
export function parseReference(text: string): ReferenceExpression {
  const reader = new ExpressionReader(text);
  reader.skipSpace();
  const start = reader.pos;
  const opener = text.startsWith('{{', start) || text.startsWith('<<', start);
  const expression = opener ? reader.template() : reader.expression();
  reader.skipSpace();
  if (reader.pos < text.length) reader.unexpected();
  if (expression.kind !== 'reference') throw new TemplateError('expected a reference (resource:path)', start);
  return expression;
}

/**
 * Every reference in a template, condition or expression, arguments of calls included,
 * in the order written. Compile builds the dependency graph from these.
 */
export function referencesOf(node: Template | Condition | Expression): ReferenceExpression[] {
  const found: ReferenceExpression[] = [];
  collect(node, found);
  return found;
}

function collect(node: Template | Condition | Expression, found: ReferenceExpression[]): void {
  switch (node.kind) {
    case 'reference':
      found.push(node);
      return;
    case 'call':
      for (const arg of node.args) collect(arg, found);
      return;
    case 'single':
    case 'value':
      collect(node.expression, found);
      return;
    case 'text':
      for (const part of node.parts) if (typeof part !== 'string') collect(part, found);
      return;
    case 'unary':
      collect(node.operand, found);
      return;
    case 'binary':
      collect(node.left, found);
      collect(node.right, found);
      return;
    case 'literal':
    case 'plain':
      return;
  }
}

function nextOpener(text: string, from: number): number {
  const curly = text.indexOf('{{', from);
  const angle = text.indexOf('<<', from);
  if (curly < 0) return angle;
  if (angle < 0) return curly;
  return Math.min(curly, angle);
}

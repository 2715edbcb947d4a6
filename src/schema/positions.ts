/**
 * protobufjs keeps no line numbers, yet every schema diagnostic must start with
 * `file:line`. This is a light scan of a .proto source that finds where each message,
 * enum, service, method and field is declared. It runs once per file at load time and
 * need not validate anything: protobufjs has already parsed the file.
 */
import type { Pos } from '../spec/types.js';

/** Declarations by full name (no leading dot): `pkg.Msg`, `pkg.Msg.field`, `pkg.Svc.Method`. */
export interface Declarations {
  names: Map<string, Pos>;
  /** `import "x.proto"` statements by imported path. */
  imports: Map<string, Pos>;
}

interface Token {
  text: string;
  line: number;
  column: number;
}

// Whitespace, comments, strings, identifiers (dotted), numbers, then any single character.
const TOKEN = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[A-Za-z_][\w.]*|\.?[\w.]+|[^]/gy;
const IDENT = /^[A-Za-z_]/;
const NAMED_SCOPES = new Set(['message', 'enum', 'service']);

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(source); match !== null; match = TOKEN.exec(source)) {
    const text = match[0];
    const first = text.charCodeAt(0);
    const isSpace = first === 32 || first === 9 || first === 10 || first === 13;
    const isComment = text.startsWith('//') || text.startsWith('/*');
    if (!isSpace && !isComment) tokens.push({ text, line, column: match.index - lineStart + 1 });
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
      line++;
      lineStart = match.index + i + 1;
    }
  }
  return tokens;
}

type ScopeKind = 'message' | 'enum' | 'service' | 'transparent' | 'opaque';

interface Scope {
  kind: ScopeKind;
  prefix: string;
}

export function scanDeclarations(source: string, file: string): Declarations {
  const names = new Map<string, Pos>();
  const imports = new Map<string, Pos>();
  const tokens = tokenize(source);
  const stack: Scope[] = [{ kind: 'transparent', prefix: '' }];
  const at = (t: Token): Pos => ({ file, line: t.line, column: t.column });
  const join = (prefix: string, name: string) => (prefix ? `${prefix}.${name}` : name);
  let statementFirst = '';
  let brackets = 0;

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const scope = stack[stack.length - 1]!;
    const next = tokens[i + 1];
    const isFirst = statementFirst === '';
    if (isFirst) statementFirst = token.text;
    switch (token.text) {
      case ';':
        statementFirst = '';
        continue;
      case '[':
        brackets++;
        continue;
      case ']':
        brackets--;
        continue;
      case '}':
        if (stack.length > 1) stack.pop();
        statementFirst = '';
        continue;
      case '{':
        // Option aggregates, rpc bodies, groups: nothing inside them is a declaration.
        stack.push({ kind: 'opaque', prefix: scope.prefix });
        statementFirst = '';
        continue;
    }
    if (scope.kind === 'opaque') continue;
    if (isFirst && token.text === 'package' && next && stack.length === 1) {
      stack[0] = { kind: 'transparent', prefix: next.text };
      i++;
    } else if (isFirst && token.text === 'import' && next) {
      // `import public "x"` and `import weak "x"` name the path one token later.
      const path = IDENT.test(next.text) ? tokens[i + 2] : next;
      if (path) imports.set(path.text.slice(1, -1), at(path));
    } else if (isFirst && NAMED_SCOPES.has(token.text) && next && tokens[i + 2]?.text === '{') {
      const fullName = join(scope.prefix, next.text);
      names.set(fullName, at(next));
      stack.push({ kind: token.text as ScopeKind, prefix: fullName });
      statementFirst = '';
      i += 2;
    } else if (isFirst && (token.text === 'oneof' || token.text === 'extend') && tokens[i + 2]?.text === '{') {
      // Their fields belong to the enclosing message (or namespace, for extensions).
      stack.push({ kind: 'transparent', prefix: scope.prefix });
      statementFirst = '';
      i += 2;
    } else if (isFirst && token.text === 'rpc' && next && scope.kind === 'service') {
      names.set(join(scope.prefix, next.text), at(next));
    } else if (
      next?.text === '=' &&
      stack.length > 1 &&
      brackets === 0 &&
      statementFirst !== 'option' &&
      IDENT.test(token.text)
    ) {
      names.set(join(scope.prefix, token.text), at(token));
    }
  }
  return { names, imports };
}

/**
 * Templates: `{{ … }}` or `<< … >>` inside a string. Parsed once at compile time.
 *
 *   "{{ input:id }}"              → single   (the value keeps its type)
 *   "Hello {{ input:name }}!"     → text     (always a string)
 *   "plain"                       → plain
 */

export type Literal = string | number | bigint | boolean | null;

export type Expression = LiteralExpression | ReferenceExpression | CallExpression;

export interface LiteralExpression {
  kind: 'literal';
  value: Literal;
}

/** `resource[.part]:path` — `input.header:Authorization`, `user:bio.name`, `claims:.` */
export interface ReferenceExpression {
  kind: 'reference';
  resource: string;
  /** `header`, `request`, `response`, `params`, `error`; undefined when not written. */
  part?: string;
  /** Dotted path split on '.'; empty for `.` or an empty path (the whole value). */
  path: string[];
  /** As written, for messages. */
  text: string;
}

export interface CallExpression {
  kind: 'call';
  name: string;
  args: Expression[];
  text: string;
}

export type Template =
  | { kind: 'plain'; value: string }
  | { kind: 'single'; expression: Expression }
  | { kind: 'text'; parts: Array<string | Expression> };

/**
 * A condition of an `if` block: references inside templates, literals, comparison,
 * boolean and arithmetic operators, parentheses.
 */
export type Condition =
  | { kind: 'value'; expression: Expression }
  | { kind: 'unary'; op: '!' | '-'; operand: Condition }
  | {
      kind: 'binary';
      op: '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||' | '+' | '-' | '*' | '/';
      left: Condition;
      right: Condition;
    };

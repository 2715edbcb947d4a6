/**
 * Text-level pieces of the HCL decoder: string escapes and heredoc bodies.
 */

/** Decodes the inside of a quoted string; returns the text or an error message. */
export function unquote(raw: string): { text: string } | { error: string } {
  if (!/[\\$%]/.test(raw)) return { text: raw };
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\') {
      const escape = decodeEscape(raw, i);
      if (!escape) return { error: `invalid escape sequence "${raw.slice(i, i + 2)}" in a quoted string` };
      out += escape.text;
      i += escape.length - 1;
    } else if ((c === '$' || c === '%') && raw[i + 1] === c && raw[i + 2] === '{') {
      out += c + '{';
      i += 2;
    } else {
      out += c;
    }
  }
  return { text: out };
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

function decodeEscape(raw: string, at: number): { text: string; length: number } | undefined {
  const kind = raw[at + 1] ?? '';
  const simple = SIMPLE_ESCAPES[kind];
  if (simple !== undefined) return { text: simple, length: 2 };
  const digits = kind === 'u' ? 4 : kind === 'U' ? 8 : 0;
  const hex = raw.slice(at + 2, at + 2 + digits);
  if (digits === 0 || !new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(hex)) return undefined;
  const code = Number.parseInt(hex, 16);
  if (code > 0x10ffff) return undefined;
  return { text: String.fromCodePoint(code), length: 2 + digits };
}

/**
 * A heredoc body, given the raw lines between the opening and the closing marker. `<<-`
 * removes the indentation common to all non-blank lines, as HCL does. Backslashes are
 * literal in heredocs; only `$${` and `%%{` are escapes.
 */
export function heredocText(raw: string, flush: boolean): string {
  let text = raw;
  if (flush) {
    const lines = raw.split('\n');
    let indent = Infinity;
    for (const line of lines) {
      const content = line.replace(/\r$/, '');
      if (content.trim() === '') continue;
      indent = Math.min(indent, content.length - content.trimStart().length);
    }
    if (indent !== Infinity && indent > 0) {
      text = lines.map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length))).join('\n');
    }
  }
  return text.replace(/([$%])\1\{/g, '$1{');
}

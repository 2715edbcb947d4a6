/**
 * What may reach the log of an upstream's answer: its status, its size and a short
 * excerpt with credentials masked. An upstream that echoes the caller's token, a
 * session cookie or a password in its error body (or a stack trace holding them) must
 * not put them in Maestro's log.
 *
 *   Authorization: Bearer eyJhbGciOi…         → Bearer [REDACTED]
 *   {"password": "hunter2", "user": "ann"}    → {"password":"[REDACTED]", "user": "ann"}
 *   Cookie: sid=abc; theme=dark               → Cookie: [REDACTED]
 *   api_key=k-123&user=ann                    → api_key=[REDACTED]&user=ann
 *   <token>abc</token>                        → <token>[REDACTED]</token>
 *
 * Masking runs before the cut, so half a secret is never left at the end of an excerpt.
 * Every pattern is compiled once, here.
 */

/** Longest excerpt of an upstream body written to the log, in characters. */
export const EXCERPT_LENGTH = 200;

const MASK = '[REDACTED]';
/** Names that carry credentials, as a key, a header, a form field or an element. */
const SECRET_WORD = String.raw`(?:pass(?:word|wd|phrase)|pwd|secret|token|api[-_]?key|authorization|cookie|session(?:[-_]?id)?|credential|private[-_]?key)`;
const SECRET_NAME = String.raw`[\w.-]*${SECRET_WORD}[\w.-]*`;
/** In free text a name stands alone: `token.hcl:12` (a file) is not `token: 12`. */
const SECRET_WORD_ALONE = String.raw`(?<![\w./\\])[\w-]*${SECRET_WORD}[\w-]*`;

const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // Cookie / Set-Cookie headers: the whole rest of the line.
  [/\b((?:set-)?cookie)(\s*:\s*)[^\r\n]*/gi, `$1$2${MASK}`],
  // Any authorization scheme with its credentials.
  [/\b(bearer|basic|digest)\s+[A-Za-z0-9\-._~+/=:]{6,}/gi, `$1 ${MASK}`],
  // JSON members whose name looks secret: string, number or literal values.
  [new RegExp(String.raw`("${SECRET_NAME}"\s*:\s*)(?:"(?:[^"\\]|\\.)*(?:"|$)|[^,}\]\s]+)`, 'gi'), `$1"${MASK}"`],
  // XML elements whose name looks secret.
  [new RegExp(String.raw`<(${SECRET_NAME})>[^<]*</\1>`, 'gi'), `<$1>${MASK}</$1>`],
  // name=value (forms, query strings, logs) and "name: value" lines.
  [
    new RegExp(
      String.raw`(${SECRET_WORD_ALONE})(\s*[=:]\s*)(?!\[REDACTED\]|"\[REDACTED\]"|(?:bearer|basic|digest) \[REDACTED\])[^\s&,;"'<]+`,
      'gi',
    ),
    `$1$2${MASK}`,
  ],
  // Bare JSON web tokens anywhere.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, MASK],
];

/** `text` with every credential-like value masked. */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}

/** A masked excerpt of at most EXCERPT_LENGTH characters, marked when cut. */
export function excerpt(text: string, length = EXCERPT_LENGTH): string {
  // Mask a little past the cut so that a secret straddling it is masked whole.
  const head = redactText(text.length > length * 4 ? text.slice(0, length * 4) : text);
  return head.length > length ? `${head.slice(0, length)}…` : head;
}

/**
 * The daemon's pino logger: JSON lines, or pino-pretty's colours when stdout is a
 * terminal and the optional dependency is installed. What keeps secrets and upstream
 * content out of it:
 *
 * - header maps (`headers`/`header` objects, one level deep or at the top) have
 *   Authorization, Cookie, Set-Cookie, Proxy-Authorization and the names listed in
 *   `log { redact = [...] }` replaced by `[redacted]`;
 * - the `err` serializer writes an error's type, code, status and a masked, shortened
 *   message; for an upstream's failed answer (CallError with a body) the body's size and
 *   a masked excerpt of at most 200 characters — never the whole body; stacks only for
 *   our own faults, never for upstream answers (redact.ts);
 * - a hook masks credentials in every message string, since a flow's error message may
 *   be the `message` field an upstream answered with.
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { stringifyJson } from '../codec/json.js';
import { CallError } from '../errors.js';
import { excerpt, redactText } from './redact.js';

export const ALWAYS_REDACTED = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization'];

/** Longest message string written; an upstream's `message` field can be megabytes. */
const MAX_MESSAGE = 1_000;

/** pino redact paths for every header name, in every header map shape we log. */
export function redactPaths(extra: readonly string[]): string[] {
  const names = [...new Set([...ALWAYS_REDACTED, ...extra.map((n) => n.toLowerCase())])];
  const paths: string[] = [];
  for (const name of names) {
    const key = JSON.stringify(name);
    for (const map of ['headers', 'header', '*.headers', '*.header']) paths.push(`${map}[${key}]`);
  }
  return paths;
}

function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * @param redact header names to redact beside the four always redacted
 * @param mixin fields added to every line (the active span's trace id, when tracing is on)
 * @param destination where lines go (tests); default stdout
 */
export function createLogger(
  level: string,
  redact: readonly string[] = [],
  mixin?: () => Record<string, string>,
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'maestro' },
    redact: { paths: redactPaths(redact), censor: '[redacted]' },
    serializers: { err: serializeError },
    hooks: {
      logMethod(args, method) {
        for (let i = 0; i < args.length; i++) {
          const arg: unknown = args[i];
          if (typeof arg === 'string')
            (args as unknown[])[i] = arg.length > MAX_MESSAGE ? excerpt(arg, MAX_MESSAGE) : redactText(arg);
        }
        method.apply(this, args);
      },
    },
    ...(mixin ? { mixin } : {}),
  };
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY && prettyAvailable()) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(options);
}

/** Size in bytes and masked excerpt of an upstream body, whatever shape it decoded to. */
export function describeBody(body: unknown): { size: number; excerpt: string } {
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array)
    text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  else {
    try {
      text = stringifyJson(body);
    } catch {
      text = String(body);
    }
  }
  return { size: Buffer.byteLength(text), excerpt: excerpt(text) };
}

export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: excerpt(String(error)) };
  const out: Record<string, unknown> = { type: error.name, message: excerpt(error.message, 500) };
  const { code, status } = error as { code?: unknown; status?: unknown };
  if (code !== undefined) out.code = code;
  if (typeof status === 'number') out.status = status;
  if (error instanceof CallError) {
    if (error.body !== undefined) out.upstream = { status: error.status, ...describeBody(error.body) };
  } else if (error.stack) {
    out.stack = redactText(error.stack);
  }
  if (error.cause !== undefined && depth < 3) out.cause = serializeError(error.cause, depth + 1);
  return out;
}

/**
 * The daemon's pino logger. Two things keep upstream content out of it (redact.ts):
 *
 * - the `err` serializer writes an error's type, code, status and a masked, shortened
 *   message; for an upstream's failed answer (CallError with a body) the body's size and
 *   a masked excerpt of at most 200 characters — never the whole body; stacks only for
 *   our own faults, never for upstream answers;
 * - a hook masks credentials in every message string, since a flow's error message may
 *   be the `message` field an upstream answered with.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { stringifyJson } from '../codec/json.js';
import { CallError } from '../errors.js';
import { excerpt, redactText } from './redact.js';

/** Longest message string written; an upstream's `message` field can be megabytes. */
const MAX_MESSAGE = 1_000;

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'maestro' },
    serializers: { err: serializeError },
    hooks: {
      logMethod(args, method) {
        for (let i = 0; i < args.length; i++) {
          const arg: unknown = args[i];
          if (typeof arg === 'string') (args as unknown[])[i] = arg.length > MAX_MESSAGE ? excerpt(arg, MAX_MESSAGE) : redactText(arg);
        }
        method.apply(this, args);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Size in bytes and masked excerpt of an upstream body, whatever shape it decoded to. */
export function describeBody(body: unknown): { size: number; excerpt: string } {
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
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

/**
 * The daemon's pino logger: JSON lines, or pino-pretty's colours when stdout is a
 * terminal and the optional dependency is installed. Credentials are redacted wherever
 * a header map is logged (`headers`/`header` objects, one level deep or at the top):
 * Authorization, Cookie, Set-Cookie, Proxy-Authorization and the names listed in
 * `log { redact = [...] }`.
 */
import { createRequire } from 'node:module';
import pino, { type Logger, type LoggerOptions } from 'pino';

export const ALWAYS_REDACTED = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization'];

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

/** @param mixin fields added to every line (the active span's trace id, when tracing is on) */
export function createLogger(level: string, redact: readonly string[], mixin?: () => Record<string, string>): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'maestro' },
    redact: { paths: redactPaths(redact), censor: '[redacted]' },
    ...(mixin ? { mixin } : {}),
  };
  if (process.stdout.isTTY && prettyAvailable()) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino(options);
}

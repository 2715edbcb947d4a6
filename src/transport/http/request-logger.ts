/**
 * Fastify's per-request logger, made only when a request logs something. Fastify calls
 * `childLoggerFactory` for every request; pino's `child()` copies the logger and runs its
 * bindings through redaction, a visible share of a one-call flow's profile, while most
 * requests log nothing below `info` (and the bench runs at `warn`). This stand-in keeps
 * the parent and the bindings, and makes the pino child on the first line at an enabled
 * level, so a line reads exactly as the child would have written it.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

type Args = [unknown, ...unknown[]];

export class LazyRequestLogger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.made ?? this.parent).isLevelEnabled(level);
  }

  fatal(...args: Args): void {
    this.write('fatal', args);
  }
  error(...args: Args): void {
    this.write('error', args);
  }
  warn(...args: Args): void {
    this.write('warn', args);
  }
  info(...args: Args): void {
    this.write('info', args);
  }
  debug(...args: Args): void {
    this.write('debug', args);
  }
  trace(...args: Args): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger().child(bindings, options);
  }

  private write(level: Level, args: Args): void {
    if (!this.isLevelEnabled(level)) return;
    (this.logger()[level] as (...a: Args) => void)(...args);
  }

  private logger(): Logger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }
}

/** Fastify's `childLoggerFactory`: a lazy child per request. */
export function lazyChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyRequestLogger(logger as unknown as Logger, bindings, options) as unknown as FastifyBaseLogger;
}

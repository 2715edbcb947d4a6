/**
 * `--watch`: the directories of every file the running configuration read (HCL,
 * includes, protos, function modules) are watched with chokidar, one level deep. A change
 * to one of those files, or a new configuration file (.hcl, .proto, .js, .mjs) appearing
 * beside them (a new flow matching an include glob), asks for a reload; a burst of changes
 * (an editor's save, a `git checkout`) becomes one reload after a quiet period.
 *
 * Directories rather than files: a file a new configuration reads for the first time is
 * already covered by its directory's watch, so no change can slip by while a file watch
 * is being set up. After every successful reload the daemon calls sync() so the set
 * follows the configuration.
 */
import { dirname, extname } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';

export interface ConfigWatcher {
  /** Resolves once the first scan is done: a change from then on is seen. */
  readonly ready: Promise<void>;
  /** Watches the files of the configuration now running (call after every reload). */
  sync(): void;
  close(): Promise<void>;
}

/** Quiet time after the last change before reloading. */
const DEBOUNCE_MS = 250;
/** A new file with one of these extensions may be part of the configuration. */
const CONFIG_EXTENSIONS = new Set(['.hcl', '.proto', '.js', '.mjs', '.cjs']);

export function watchConfig(
  files: () => string[],
  reload: (reason: string) => Promise<unknown>,
  logger: Logger,
  debounceMs = DEBOUNCE_MS,
): ConfigWatcher {
  let watchedFiles = new Set(files());
  let watchedDirs = new Set([...watchedFiles].map((f) => dirname(f)));
  // atomic: an editor that saves by writing a temporary file and renaming it is one change.
  const watcher: FSWatcher = watch([...watchedDirs], { ignoreInitial: true, atomic: true, depth: 0 });
  let timer: NodeJS.Timeout | undefined;
  let changed: string[] = [];
  let closed = false;

  const sync = (): void => {
    watchedFiles = new Set(files());
    const dirs = new Set([...watchedFiles].map((f) => dirname(f)));
    const added = [...dirs].filter((d) => !watchedDirs.has(d));
    const removed = [...watchedDirs].filter((d) => !dirs.has(d));
    if (added.length > 0) watcher.add(added);
    if (removed.length > 0) watcher.unwatch(removed);
    watchedDirs = dirs;
  };
  const fire = (): void => {
    timer = undefined;
    if (closed) return;
    logger.info({ files: changed }, 'configuration files changed; reloading');
    changed = [];
    void reload('watch');
  };
  const onEvent = (event: string, path: string): void => {
    const ours =
      watchedFiles.has(path) ||
      (event === 'add' && CONFIG_EXTENSIONS.has(extname(path)) && watchedDirs.has(dirname(path)));
    if (!ours) return;
    if (!changed.includes(path)) changed.push(path);
    clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  };
  watcher.on('all', onEvent);
  watcher.on('error', (error) => logger.warn({ err: error }, 'watching the configuration files failed'));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    sync,
    async close() {
      closed = true;
      clearTimeout(timer);
      await watcher.close();
    },
  };
}

/**
 * `--watch`: every file the running configuration read (HCL, includes, protos, function
 * modules) is watched with chokidar; a burst of changes (an editor's save, a `git
 * checkout`) becomes one reload after a quiet period. The watched set follows the
 * configuration: after each successful reload, whatever asked for it, the daemon calls
 * sync() and the new configuration's files are watched.
 */
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';

export interface ConfigWatcher {
  /** Watches the files of the configuration now running (call after every reload). */
  sync(): void;
  close(): Promise<void>;
}

/** Quiet time after the last change before reloading. */
const DEBOUNCE_MS = 250;

export function watchConfig(files: () => string[], reload: (reason: string) => Promise<unknown>, logger: Logger, debounceMs = DEBOUNCE_MS): ConfigWatcher {
  let watched = new Set(files());
  // atomic: an editor that saves by writing a temporary file and renaming it is one change.
  const watcher: FSWatcher = watch([...watched], { ignoreInitial: true, atomic: true, awaitWriteFinish: false });
  let timer: NodeJS.Timeout | undefined;
  let changed: string[] = [];
  let closed = false;

  const sync = (): void => {
    const next = new Set(files());
    const added = [...next].filter((f) => !watched.has(f));
    const removed = [...watched].filter((f) => !next.has(f));
    if (added.length > 0) watcher.add(added);
    if (removed.length > 0) watcher.unwatch(removed);
    watched = next;
  };
  const fire = (): void => {
    timer = undefined;
    if (closed) return;
    logger.info({ files: changed }, 'configuration files changed; reloading');
    changed = [];
    void reload('watch');
  };
  const onChange = (path: string): void => {
    if (!changed.includes(path)) changed.push(path);
    clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  };
  watcher.on('change', onChange).on('add', onChange).on('unlink', onChange);
  watcher.on('error', (error) => logger.warn({ err: error }, 'watching the configuration files failed'));
  return {
    sync,
    async close() {
      closed = true;
      clearTimeout(timer);
      await watcher.close();
    },
  };
}

// What a watched path is on disk: probes that follow links and never throw; and the one way a
// folder is watched.
import { lstatSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';

/** What `path` is, following links: a folder, a file (or anything else), or nothing. */
export function kindOf(path: string): 'dir' | 'file' | null {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return null;
  }
}

/** The folder at `path` (followed) as dev:ino, or null when it is gone. */
export function folderOf(path: string): string | null {
  try {
    const stats = statSync(path);
    return `${stats.dev}:${stats.ino}`;
  } catch {
    return null;
  }
}

/** Whether `path` itself is a symbolic link. */
export function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** `path` with its links resolved, or as it is when it leads nowhere. */
export function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Whether the folder `dir` is `path` or one of its ancestors. */
export function holds(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/**
 * An fs.watch of `dir` calling `handle` with each event's entry name, or null (and a log line) when it
 * cannot be watched; a watch that fails later is logged and `lost` is called.
 */
export function watchOrLog(dir: string, handle: (type: string, name: string | null) => void, log: (line: string) => void, lost: () => void): FSWatcher | null {
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { persistent: false }, (type, name) => handle(type, name === null ? null : name.toString()));
  } catch (error) {
    log(`watch: cannot watch ${dir}: ${(error as Error).message}`);
    return null;
  }
  watcher.on('error', (error) => {
    log(`watch: ${dir}: ${error.message}`);
    lost();
  });
  return watcher;
}

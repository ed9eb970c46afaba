// Watches one path for an app: a directory with everything below it that is not ignored, or a
// single file. Each directory gets its own inotify watch (fs.watch, not recursive), so ignored
// trees such as node_modules cost nothing; directories that appear are armed as they come, and a
// watched root that is deleted or renamed away is logged and re-armed when it comes back.
// Symbolic links are followed, as PM2's chokidar follows them (a deploy links shared config into
// each release): a linked folder is armed as a folder of the tree, once however many ways lead to
// it, and never one that holds the root (`up -> ..`); a linked file is watched where it lives.
import { existsSync, lstatSync, readdirSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { IgnoreTest } from './ignore.js';

/** How often a missing root is looked for again (one stat per period). */
const MISSING_ROOT_POLL_MS = 1000;

export class TreeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  /** The folder (dev:ino) each armed directory's watch is on: one reached again through a link is not armed twice. */
  private readonly folders = new Map<string, string>();
  private readonly armedFolders = new Set<string>();
  private missing: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    /** Absolute path of the watched directory or file. */
    readonly root: string,
    private readonly ignored: IgnoreTest,
    /** Told of every change, with the absolute path that changed. */
    private readonly changed: (path: string) => void,
    private readonly log: (line: string) => void,
  ) {
    this.armRoot();
  }

  /** Ends every watch; no change is reported after this. */
  close(): void {
    this.closed = true;
    if (this.missing) clearInterval(this.missing);
    this.missing = null;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    this.folders.clear();
    this.armedFolders.clear();
  }

  private armRoot(): void {
    const kind = kindOf(this.root);
    if (kind === 'dir') this.armTree(this.root);
    // a single file is watched through its directory, so that editors' save-by-rename is seen
    else if (kind === 'file') this.arm(dirname(this.root), basename(this.root));
    else this.waitForRoot(`watched path ${this.root} does not exist`);
  }

  /** Arms `dir` and every directory below it that is not ignored, following links. */
  private armTree(dir: string): void {
    if (this.closed || this.watchers.has(dir) || (dir !== this.root && this.ignored(dir))) return;
    const folder = folderOf(dir);
    if (folder === null || this.armedFolders.has(folder)) return;
    if (!this.arm(dir, null)) return;
    this.folders.set(dir, folder);
    this.armedFolders.add(folder);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // gone meanwhile: its watcher reports it
    }
    for (const entry of entries) {
      if (entry.isDirectory()) this.armTree(join(dir, entry.name));
      else if (entry.isSymbolicLink()) this.armLink(join(dir, entry.name));
    }
  }

  /**
   * Follows the link at `path`: a folder is armed as part of the tree (under the link's name),
   * unless it holds the root, which would arm the tree again through itself; a file is watched
   * through its own folder, its changes told as changes of `path`.
   */
  private armLink(path: string): void {
    if (this.closed || this.ignored(path)) return;
    this.forget(path); // a link made again may lead elsewhere
    let target: string;
    try {
      target = realpathSync(path);
    } catch {
      return; // leads nowhere (yet): its folder's watch sees it made
    }
    const kind = kindOf(target);
    if (kind === 'dir') {
      if (!holds(target, realpathOr(this.root))) this.armTree(path);
    } else if (kind === 'file') {
      this.arm(dirname(target), basename(target), linkKey(path), path);
    }
  }

  /**
   * One fs.watch on `dir`; with `only`, events of other names in it are not reported. `key` names
   * the watch (a linked file's is the link's), and `reportAs` the path a change is told as.
   */
  private arm(dir: string, only: string | null, key = dir, reportAs: string | null = null): boolean {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, (type, name) => (reportAs === null ? this.onEvent(dir, only, type, name) : this.onLinkedFile(only!, reportAs, name)));
    } catch (error) {
      this.log(`watch: cannot watch ${dir}: ${(error as Error).message}`);
      return false;
    }
    watcher.on('error', (error) => {
      this.log(`watch: ${dir}: ${error.message}`);
      this.drop(key);
      if (dir === this.root || dir === dirname(this.root)) this.waitForRoot(`watch of ${this.root} ended`);
    });
    this.watchers.set(key, watcher);
    return true;
  }

  /** A change in the folder of a linked file: told as a change of the link when it is the file's. */
  private onLinkedFile(target: string, link: string, name: string | Buffer | null): void {
    if (this.closed || name === null || name.toString() !== target) return;
    this.changed(link);
  }

  private onEvent(dir: string, only: string | null, type: string, name: string | Buffer | null): void {
    if (this.closed) return;
    const entry = name === null ? null : name.toString();
    if (only !== null && entry !== only) return;
    if (!existsSync(dir)) {
      // the directory itself was deleted or renamed away
      this.drop(dir);
      const rootGone = dir === this.root || (only !== null && !existsSync(this.root));
      if (rootGone) {
        this.changed(this.root);
        this.waitForRoot(`watched directory ${this.root} was deleted or renamed`);
      }
      return;
    }
    const path = entry === null ? dir : join(dir, entry);
    if (path !== this.root && this.ignored(path)) return;
    if (type === 'rename' && only === null) {
      if (isLink(path)) this.armLink(path);
      else if (kindOf(path) === 'dir') this.armTree(path);
      // a link removed: what it led to is watched no more there, but a folder another path still
      // leads to (the real one, when the link was the path armed first) is armed again there
      else if (this.forget(path)) this.rearm();
    }
    this.changed(path);
  }

  /** Closes the watches armed at `path` (a folder, or a link followed), if any; true when there were. */
  private forget(path: string): boolean {
    if (!this.watchers.has(path) && !this.watchers.has(linkKey(path))) return false;
    this.drop(path);
    return true;
  }

  /** Walks the tree again, through what is armed, and arms the folders reached that are not (any more). */
  private rearm(): void {
    const seen = new Set<string>();
    const root = realpathOr(this.root);
    const visit = (dir: string): void => {
      if (this.closed || (dir !== this.root && this.ignored(dir))) return;
      const folder = folderOf(dir);
      if (folder === null || seen.has(folder)) return;
      seen.add(folder);
      if (!this.armedFolders.has(folder)) return this.armTree(dir);
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) visit(path);
        else if (entry.isSymbolicLink() && kindOf(path) === 'dir' && !holds(realpathOr(path), root)) visit(path);
      }
    };
    if (kindOf(this.root) === 'dir') visit(this.root);
  }

  /** Closes the watches of `dir` and of everything below it. */
  private drop(dir: string): void {
    for (const [path, watcher] of this.watchers) {
      if (path !== dir && !path.startsWith(`${dir}/`) && path !== linkKey(dir)) continue;
      watcher.close();
      this.watchers.delete(path);
      const folder = this.folders.get(path);
      if (folder !== undefined) this.armedFolders.delete(folder);
      this.folders.delete(path);
    }
  }

  private waitForRoot(why: string): void {
    if (this.closed || this.missing) return;
    this.log(`watch: ${why}; watching again when it comes back`);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    this.folders.clear();
    this.armedFolders.clear();
    this.missing = setInterval(() => {
      if (kindOf(this.root) === null) return;
      clearInterval(this.missing!);
      this.missing = null;
      this.log(`watch: ${this.root} is back, watching it again`);
      this.armRoot();
      this.changed(this.root);
    }, MISSING_ROOT_POLL_MS);
    this.missing.unref();
  }
}

function kindOf(path: string): 'dir' | 'file' | null {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return null;
  }
}

/** The key of a linked file's watch, apart from the folders' (keyed by their path). */
function linkKey(path: string): string {
  return `link:${path}`;
}

/** The folder at `path` (followed) as dev:ino, or null when it is gone. */
function folderOf(path: string): string | null {
  try {
    const stats = statSync(path);
    return `${stats.dev}:${stats.ino}`;
  } catch {
    return null;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Whether the folder `dir` is `path` or one of its ancestors. */
function holds(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

// Watches one path for an app: a directory with everything below it that is not ignored, or a
// single file. Each directory gets its own inotify watch (fs.watch, not recursive), so ignored
// trees such as node_modules cost nothing; directories that appear are armed as they come. The
// names that lead to the root are watched too (PathWatch): a root replaced in one step (a deploy's
// `mv app.new app`, `rm -rf app && cp -r new app`, a link at or above the root switched) is armed
// again at once and told as one change; one deleted or renamed away is logged, told as `vanished`
// (its changes wait for it), and armed again when it comes back.
// Symbolic links are followed, as PM2's chokidar follows them (a deploy links shared config into
// each release): a linked folder is armed as a folder of the tree, once however many ways lead to
// it, and never one that holds the root (`up -> ..`); a linked file is watched where it lives.
import { readdirSync, realpathSync, statSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { IgnoreTest } from './ignore.js';
import { PathWatch } from './path-watch.js';
import { folderOf, holds, isLink, kindOf, realpathOr, watchOrLog } from './paths.js';

/** How often a missing root is looked for again (one stat per period). */
const MISSING_ROOT_POLL_MS = 1000;

/** What the root path names: a folder (its dev:ino, through links), a file, or nothing. */
type RootIs = { kind: 'dir'; folder: string } | { kind: 'file' } | { kind: 'none' };

const NOTHING: RootIs = { kind: 'none' };

export class TreeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  /** The folder (dev:ino) each armed directory's watch is on: one reached again through a link is not armed twice. */
  private readonly folders = new Map<string, string>();
  private readonly armedFolders = new Set<string>();
  /** Sees the root's name, or a link's on the way to it, change: a single file's save, a folder swapped. */
  private readonly way: PathWatch;
  /** What the root named when it was armed. */
  private armed: RootIs = NOTHING;
  private missing: NodeJS.Timeout | null = null;
  private closed = false;
  private folderGone = false;

  constructor(
    /** Absolute path of the watched directory or file. */
    readonly root: string,
    private readonly ignored: IgnoreTest,
    /** Told of every change, with the absolute path that changed. */
    private readonly changed: (path: string) => void,
    private readonly log: (line: string) => void,
  ) {
    this.way = new PathWatch(root, (own) => this.onWayChanged(own), () => this.lostRoot(), log);
    this.armed = rootIs(this.root);
    if (this.armed.kind === 'dir') this.armTree(this.root);
    else if (this.armed.kind === 'none') this.waitForRoot(`watched path ${this.root} does not exist`);
  }

  /** True while the root, a folder that was watched, is deleted or renamed away: the app's files are not there. */
  get vanished(): boolean {
    return this.folderGone;
  }

  /** Ends every watch; no change is reported after this. */
  close(): void {
    this.closed = true;
    if (this.missing) clearInterval(this.missing);
    this.missing = null;
    this.way.close();
    this.closeTree();
  }

  /** A name on the way to the root changed (`own`: the root's): a single file's change, or the root to look at again. */
  private onWayChanged(own: boolean): void {
    if (this.closed) return;
    if (own && this.armed.kind === 'file' && kindOf(this.root) === 'file') return this.changed(this.root);
    this.way.refresh();
    this.checkRoot();
  }

  /**
   * Compares what the root path names now with what was armed, and when they differ arms what it
   * names now and tells one change: a folder replaced in one step (another folder, or a link at
   * the root switched), gone, or back. While a folder is gone, `vanished` says so: the app is not
   * restarted without its files, and the change of its return restarts it.
   */
  private checkRoot(): void {
    if (this.closed) return;
    const now = rootIs(this.root);
    const before = this.armed;
    if (sameRoot(now, before)) return;
    this.closeTree();
    this.armed = now;
    this.folderGone = now.kind === 'none' && before.kind === 'dir';
    if (now.kind === 'none') {
      // a single file is seen made again by its parent's watch; a folder may be gone with its parent
      if (before.kind === 'dir' || !this.way.watchesParent) this.waitForRoot(`watched ${before.kind === 'dir' ? 'directory' : 'file'} ${this.root} was deleted or renamed`);
      this.changed(this.root);
      return;
    }
    if (this.missing) {
      this.log(`watch: ${this.root} is back, watching it again`);
      clearInterval(this.missing);
      this.missing = null;
    } else if (before.kind !== 'none') this.log(`watch: ${this.root} was replaced, watching the new one`);
    if (now.kind === 'dir') this.armTree(this.root);
    this.changed(this.root);
  }

  /** A watch of the root (or of the way to it) ended with an error: armed again, as a root that came back, once it can be. */
  private lostRoot(): void {
    if (this.closed) return;
    this.closeTree();
    this.armed = NOTHING;
    this.waitForRoot(`watch of ${this.root} ended`);
  }

  /** Arms `dir` and every directory below it that is not ignored, following links. */
  private armTree(dir: string): void {
    if (this.closed || (dir !== this.root && this.ignored(dir))) return;
    const folder = folderOf(dir);
    if (this.watchers.has(dir)) {
      if (this.folders.get(dir) === folder) return;
      this.drop(dir); // another folder at this path now: its watch would tell the old one's changes
    }
    if (folder === null || this.armedFolders.has(folder)) return;
    if (!this.arm(dir, dir, (type, name) => this.onEvent(dir, type, name))) return;
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
      const name = basename(target);
      this.arm(dirname(target), linkKey(path), (_type, entry) => {
        if (!this.closed && entry === name) this.changed(path);
      });
    }
  }

  /** One fs.watch on `dir`, named `key` among the tree's; events reach `handle` while it is the one armed under `key`. */
  private arm(dir: string, key: string, handle: (type: string, name: string | null) => void): boolean {
    const watcher = watchOrLog(
      dir,
      (type, name) => {
        if (this.watchers.get(key) === watcher) handle(type, name);
      },
      this.log,
      () => {
        this.drop(key);
        if (dir === this.root) this.lostRoot();
      },
    );
    if (watcher === null) return false;
    this.watchers.set(key, watcher);
    return true;
  }

  private onEvent(dir: string, type: string, entry: string | null): void {
    if (this.closed) return;
    if (folderOf(dir) !== this.folders.get(dir)) {
      // the folder watched at `dir` is not there any more: deleted, renamed away or replaced; what
      // is at `dir` now is armed in its place (a sub-folder's change is told by its parent's watch)
      if (dir === this.root) return this.checkRoot();
      this.drop(dir);
      this.armTree(dir);
      return;
    }
    const path = entry === null ? dir : join(dir, entry);
    if (path !== this.root && this.ignored(path)) return;
    if (type === 'rename') {
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
      if (!holds(dir, path) && path !== linkKey(dir)) continue;
      watcher.close();
      this.watchers.delete(path);
      const folder = this.folders.get(path);
      if (folder !== undefined) this.armedFolders.delete(folder);
      this.folders.delete(path);
    }
  }

  /** Closes the watches of the tree (not those of the way to it). */
  private closeTree(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    this.folders.clear();
    this.armedFolders.clear();
  }

  /** Looks for the root again every period, as well as through the watch of its way (which may be gone with it). */
  private waitForRoot(why: string): void {
    if (this.closed || this.missing) return;
    this.log(`watch: ${why}; watching again when it comes back`);
    this.missing = setInterval(() => {
      this.way.refresh();
      this.checkRoot();
    }, MISSING_ROOT_POLL_MS);
    this.missing.unref();
  }
}

/** What `path` names now, following links. */
function rootIs(path: string): RootIs {
  try {
    const stats = statSync(path);
    return stats.isDirectory() ? { kind: 'dir', folder: `${stats.dev}:${stats.ino}` } : { kind: 'file' };
  } catch {
    return NOTHING;
  }
}

function sameRoot(a: RootIs, b: RootIs): boolean {
  return a.kind === 'dir' && b.kind === 'dir' ? a.folder === b.folder : a.kind === b.kind;
}

/** The key of a linked file's watch, apart from the folders' (keyed by their path). */
function linkKey(path: string): string {
  return `link:${path}`;
}

// Watches one path for an app: a directory with everything below it that is not ignored, or a
// single file. Each directory gets its own inotify watch (fs.watch, not recursive), so ignored
// trees such as node_modules cost nothing; directories that appear are armed as they come, and a
// watched root that is deleted or renamed away is logged and re-armed when it comes back.
import { existsSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { IgnoreTest } from './ignore.js';

/** How often a missing root is looked for again (one stat per period). */
const MISSING_ROOT_POLL_MS = 1000;

export class TreeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
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
  }

  private armRoot(): void {
    const kind = kindOf(this.root);
    if (kind === 'dir') this.armTree(this.root);
    // a single file is watched through its directory, so that editors' save-by-rename is seen
    else if (kind === 'file') this.arm(dirname(this.root), basename(this.root));
    else this.waitForRoot(`watched path ${this.root} does not exist`);
  }

  /** Arms `dir` and every directory below it that is not ignored. */
  private armTree(dir: string): void {
    if (this.closed || this.watchers.has(dir) || (dir !== this.root && this.ignored(dir))) return;
    if (!this.arm(dir, null)) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // gone meanwhile: its watcher reports it
    }
    for (const entry of entries) if (entry.isDirectory()) this.armTree(join(dir, entry.name));
  }

  /** One fs.watch on `dir`; with `only`, events of other names in it are not reported. */
  private arm(dir: string, only: string | null): boolean {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, (type, name) => this.onEvent(dir, only, type, name));
    } catch (error) {
      this.log(`watch: cannot watch ${dir}: ${(error as Error).message}`);
      return false;
    }
    watcher.on('error', (error) => {
      this.log(`watch: ${dir}: ${error.message}`);
      this.drop(dir);
      if (dir === this.root || dir === dirname(this.root)) this.waitForRoot(`watch of ${this.root} ended`);
    });
    this.watchers.set(dir, watcher);
    return true;
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
    if (type === 'rename' && only === null && kindOf(path) === 'dir') this.armTree(path);
    this.changed(path);
  }

  /** Closes the watches of `dir` and of everything below it. */
  private drop(dir: string): void {
    for (const [path, watcher] of this.watchers) {
      if (path !== dir && !path.startsWith(`${dir}/`)) continue;
      watcher.close();
      this.watchers.delete(path);
    }
  }

  private waitForRoot(why: string): void {
    if (this.closed || this.missing) return;
    this.log(`watch: ${why}; watching again when it comes back`);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
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

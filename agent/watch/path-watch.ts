// Watches the names that lead to a watched path: the path's own name in its parent folder, and
// the name of every symbolic link on the way in the link's parent. A watch follows a folder, not
// a path: a deploy that swaps the folder (`mv app.new app`), or switches a link above it
// (`current -> releases/...` with `watch: ['src']`), changes one of these names and nothing in
// the folder watched, so only these watches see it.
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { folderOf, isLink, watchOrLog } from './paths.js';

export class PathWatch {
  /** Per folder watched (by path): its watch, the folder it is on (dev:ino) and the one name looked at. */
  private readonly watches = new Map<string, { watcher: FSWatcher; folder: string; name: string }>();
  private closed = false;

  constructor(
    readonly path: string,
    /** Told of an event on one of the names; `own` when it is the path's own name in its parent. */
    private readonly moved: (own: boolean) => void,
    /** Told when a watch ended with an error. */
    private readonly lost: () => void,
    private readonly log: (line: string) => void,
  ) {
    this.refresh();
  }

  /** Whether the path's parent folder is watched, which sees the path made again. */
  get watchesParent(): boolean {
    return this.watches.has(dirname(this.path));
  }

  /**
   * Arms the folders that hold the names on the way now, and closes the watches of those that do
   * not any more: a folder replaced, or one a switched link no longer leads through.
   */
  refresh(): void {
    if (this.closed) return;
    const wanted = namesOnTheWay(this.path);
    for (const [dir, held] of this.watches) {
      if (wanted.get(dir) === held.name && folderOf(dir) === held.folder) continue;
      held.watcher.close();
      this.watches.delete(dir);
    }
    for (const [dir, name] of wanted) if (!this.watches.has(dir)) this.arm(dir, name);
  }

  close(): void {
    this.closed = true;
    for (const { watcher } of this.watches.values()) watcher.close();
    this.watches.clear();
  }

  private arm(dir: string, name: string): void {
    const folder = folderOf(dir);
    if (folder === null) return;
    const watcher = watchOrLog(
      dir,
      (_type, entry) => {
        if (this.closed || this.watches.get(dir)?.watcher !== watcher || entry !== name) return;
        this.moved(dir === dirname(this.path));
      },
      this.log,
      () => {
        if (this.watches.get(dir)?.watcher !== watcher) return;
        this.watches.delete(dir);
        this.lost();
      },
    );
    if (watcher === null) return;
    this.watches.set(dir, { watcher, folder, name });
  }
}

/** The folders to watch, each with the name looked at in it: the path's own, then each link's above it. */
function namesOnTheWay(path: string): Map<string, string> {
  const wanted = new Map<string, string>();
  for (let at = path; dirname(at) !== at; at = dirname(at)) {
    if (at === path || isLink(at)) wanted.set(dirname(at), basename(at));
  }
  return wanted;
}

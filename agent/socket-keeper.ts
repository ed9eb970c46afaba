// The agent's socket file kept in place: when it is removed (a cleanup script, `rm -rf` of a
// tmp directory) or replaced, the agent notices (inotify on its home) and listens again, so that
// the CLI keeps finding it. Connections already open are not disturbed.
import { lstatSync, unlinkSync, watch, type FSWatcher } from 'node:fs';
import type { Server } from 'node:net';
import { basename, dirname } from 'node:path';

/** How often the socket is looked at when the home cannot be watched (inotify watches used up). */
const FALLBACK_LOOK_MS = 2000;

/** The agent's listening server, replaced by a new one whenever its socket file goes away. */
export class SocketKeeper {
  private inode: bigint | null;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private relistening = false;
  private closed = false;

  constructor(
    private server: Server,
    private readonly path: string,
    private readonly listenAgain: () => Promise<Server>,
    private readonly log: (line: string) => void,
  ) {
    this.inode = inodeOf(path);
    const name = basename(path);
    try {
      this.watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
        if (file === name) this.look();
      });
      this.watcher.on('error', () => this.pollInstead());
    } catch {
      this.pollInstead();
    }
  }

  /** Stops watching and listening (the agent is exiting); the socket file goes with the server. */
  close(): void {
    this.closed = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    this.server.close();
  }

  private pollInstead(): void {
    this.watcher?.close();
    this.watcher = null;
    this.timer ??= setInterval(() => this.look(), FALLBACK_LOOK_MS);
    this.timer.unref();
  }

  private look(): void {
    if (this.closed || this.relistening || inodeOf(this.path) === this.inode) return;
    this.relistening = true;
    void this.replace().finally(() => {
      this.relistening = false;
      // changed again while we were listening
      if (inodeOf(this.path) !== this.inode) this.look();
    });
  }

  private async replace(): Promise<void> {
    const found = inodeOf(this.path) === null ? 'was removed' : 'was replaced by another file';
    // closing a Unix-socket server unlinks its path: done before listening again, never after
    this.server.close();
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
    try {
      this.server = await this.listenAgain();
      this.log(`the socket ${this.path} ${found}: listening on it again`);
    } catch (error) {
      this.log(`the socket ${this.path} ${found} and cannot be made again: ${(error as Error).message}`);
    }
    // what is there now: our new socket, or what could not be replaced (tried again once it changes)
    this.inode = inodeOf(this.path);
  }
}

function inodeOf(path: string): bigint | null {
  try {
    const stat = lstatSync(path, { bigint: true });
    return stat.isSocket() ? stat.ino : -1n;
  } catch {
    return null;
  }
}

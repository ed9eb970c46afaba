// Maps a request's URL to an open file under the served root, and refuses whatever would leave
// it: `..` segments (plain or percent-encoded), NUL bytes, and symlinks that point outside the root.
// The check is made on the file actually opened (its path in /proc/self/fd on Linux), so a
// symlink swapped between a check and the open cannot slip through. The root itself is reached only
// on a way no other user can change (guardServeRoot): a folder of theirs above it, or a link of
// theirs, would let them switch the root to / under a server that reads as root. On Linux the name is first
// opened with O_PATH, which reaches the inode without opening it: a FIFO or a device a link points
// to is refused without the side effects of an open (a writer released, a tape rewound), and only
// a regular file or a directory inside the root is then opened for reading, through that handle.
import { close, closeSync, constants, fstat, fstatSync, open, openSync, readlinkSync, realpath, type Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { promisify } from 'node:util';
import { guardChain } from '../protocol/home-guard.js';

const openFile = promisify(open);
const statFd = promisify(fstat);
const realPath = promisify(realpath);

/** O_NONBLOCK: opening a FIFO someone left under the root must not hang the server. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** O_PATH (Linux, not in Node's constants): a handle on the inode that reads nothing and opens nothing. */
const O_PATH = process.platform === 'linux' ? 0o10000000 : 0;

/**
 * Where a URL leads: an open regular file (the caller closes `fd`), a directory named without its
 * trailing slash (its page is at the name with one), nothing, or somewhere it may not go.
 */
export type Resolution = { kind: 'file'; fd: number; path: string; stats: Stats } | { kind: 'directory' } | { kind: 'missing' } | { kind: 'forbidden' };

/** The decoded path of a request URL, or a refusal when it cannot be a path under the root. */
export function decodeUrlPath(url: string): string | 'malformed' | 'forbidden' {
  const end = url.search(/[?#]/);
  const raw = end < 0 ? url : url.slice(0, end);
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return 'malformed';
  }
  if (!path.startsWith('/') || path.includes('\0')) return 'malformed';
  if (path.split(/[/\\]/).includes('..')) return 'forbidden';
  return path;
}

/**
 * Throws (naming the root, the folder or link and its owner and mode) when another user could
 * change where `root` leads: a folder on the way that is theirs or that they may write, or a link
 * of theirs (guardChain, the walk of the agent's home). What is under the root is checked per
 * request (a file must be inside its real path).
 */
export function guardServeRoot(root: string): void {
  guardChain(root, { elsewhere: 'serve a folder whose way only you or root may change, or run pmx serve as the user who owns it', systemGroups: true });
}

/** Opens files for URL paths under one root. */
export class RootResolver {
  /** The root's real path, looked up again when a file seems outside it (a deploy may switch a symlink). */
  private realRoot: string | null = null;
  /** The last refusal of the root's way said (it is said once, not at every request). */
  private refused: string | null = null;

  /** `warn` tells of a root whose way is refused (the server's error log). */
  constructor(
    readonly root: string,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  /**
   * The file a decoded URL path names; a directory stands for its index.html when the path ends
   * with a slash (without one, the page's relative links would resolve against its parent).
   */
  async resolve(urlPath: string): Promise<Resolution> {
    const found = await this.openInside(urlPath);
    if (found.kind !== 'file' || !found.stats.isDirectory()) return found;
    close(found.fd, ignore);
    if (!urlPath.endsWith('/')) return { kind: 'directory' };
    const index = await this.openInside(join(urlPath, 'index.html'));
    if (index.kind !== 'file' || !index.stats.isDirectory()) return index;
    close(index.fd, ignore);
    return { kind: 'missing' };
  }

  private async openInside(urlPath: string): Promise<Resolution> {
    // opened through the configured root, so that a root switched to another directory is followed
    const candidate = join(this.root, urlPath);
    return O_PATH ? this.openChecked(candidate) : this.openPortable(candidate);
  }

  /**
   * Linux: the name is looked up with O_PATH, which opens nothing (metadata only, so done at once
   * rather than through the thread pool), checked, and only a regular file inside the root is
   * opened for reading, through that handle: the very inode that was checked.
   */
  private async openChecked(candidate: string): Promise<Resolution> {
    let handle: number;
    let real: string;
    let stats: Stats;
    try {
      handle = openSync(candidate, O_PATH);
    } catch (error) {
      return refusal(error);
    }
    try {
      real = readlinkSync(`/proc/self/fd/${handle}`);
      stats = fstatSync(handle);
    } catch (error) {
      closeSync(handle);
      return refusal(error);
    }
    if (!(await this.contains(real)) || (!stats.isFile() && !stats.isDirectory())) {
      closeSync(handle);
      return { kind: 'forbidden' };
    }
    // a directory is only looked at (its index is opened next): its handle is enough
    if (stats.isDirectory()) return { kind: 'file', fd: handle, path: real, stats };
    try {
      return { kind: 'file', fd: await openFile(`/proc/self/fd/${handle}`, OPEN_FLAGS), path: real, stats };
    } catch (error) {
      return refusal(error);
    } finally {
      closeSync(handle);
    }
  }

  /** Elsewhere: opened, then checked through the real path of what was opened. */
  private async openPortable(candidate: string): Promise<Resolution> {
    let fd: number;
    try {
      fd = await openFile(candidate, OPEN_FLAGS);
    } catch (error) {
      return refusal(error);
    }
    try {
      const real = await openedPath(fd, candidate);
      if (!(await this.contains(real))) return closed(fd, { kind: 'forbidden' });
      const stats = await statFd(fd);
      if (!stats.isFile() && !stats.isDirectory()) return closed(fd, { kind: 'forbidden' });
      return { kind: 'file', fd, path: real, stats };
    } catch (error) {
      return closed(fd, refusal(error));
    }
  }

  private async contains(real: string): Promise<boolean> {
    const under = (root: string | null): boolean => root !== null && (real === root || real.startsWith(root.endsWith(sep) ? root : root + sep));
    if (under(this.realRoot)) return true;
    const before = this.realRoot;
    const now = await this.refreshRoot();
    return now !== before && under(now);
  }

  private async refreshRoot(): Promise<string | null> {
    try {
      // walked again whenever it is looked up: a root switched since may now lead through a link of another user's
      guardServeRoot(this.root);
      this.refused = null;
    } catch (error) {
      if ((error as Error).message !== this.refused) this.warn(`${(error as Error).message} (nothing is served until its way is safe)`);
      this.refused = (error as Error).message;
      this.realRoot = null;
      return null;
    }
    try {
      this.realRoot = await realPath(this.root);
    } catch {
      this.realRoot = null; // not there (yet): every path is missing until it is
    }
    return this.realRoot;
  }
}

/** The real path of an open file: what /proc says on Linux, else the real path of the name opened. */
async function openedPath(fd: number, opened: string): Promise<string> {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return realPath(opened);
  }
}

function refusal(error: unknown): Resolution {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? { kind: 'forbidden' } : { kind: 'missing' };
}

function closed(fd: number, resolution: Resolution): Resolution {
  close(fd, ignore);
  return resolution;
}

function ignore(): void {}

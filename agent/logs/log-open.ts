// Opening a log file (or an app's pid file) where another local user may have prepared the path:
// never blocking (a FIFO or a device planted there would hold the agent's thread in open(2)),
// following a symbolic link only when the agent's user or root made it (every link of a chain),
// using only a regular file of that user or root with one name (a hard link to /etc/shadow has
// two), and only where the walk of its way said it would be: a folder swapped for a link between
// the walk and the open (by a user whose group may write the folder) lands the open elsewhere,
// which /proc/self/fd tells, and the file is then not used.
import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { guardChain } from '../protocol/home-guard.js';
import { AgentFault } from '../fault.js';

/** What is done with the file, for the messages: pmx does not <use> logs <into/from> ... */
export type LogUse = 'write' | 'read';

/** What the file is to pmx, for the messages. */
export type FileRole = 'logs' | 'pid files';

/** How a refusal of the way to a log or pid file ends (home-guard.ts guardChain). */
const ELSEWHERE = "choose a path whose folders only you or root may write";

/**
 * Throws LOG_FILE_UNSAFE, naming `file`, the folder and its owner and mode, when another user could
 * change where the folder of `file` leads: a folder on the way of theirs, or one they may write
 * (not sticky), or a link of theirs (guardChain, the walk the agent's home passes). Returns where
 * `file` is, its folders' links followed (for placedAt).
 */
export function guardFolder(file: string): string {
  return join(guardChain(dirname(file), { named: file, code: 'LOG_FILE_UNSAFE', elsewhere: ELSEWHERE, systemGroups: true }), basename(file));
}

/**
 * Makes the folder of `file` (mkdir -p, with `mode`) once guardFolder passes, and checks again
 * when something was made: in a sticky folder another user could have made a name on the way
 * between the check and the mkdir. Returns where `file` is (guardFolder).
 */
export function prepareFolder(file: string, mode: number): string {
  const where = guardFolder(file);
  return mkdirSync(dirname(file), { recursive: true, mode }) !== undefined ? guardFolder(file) : where;
}

/**
 * Throws LOG_FILE_UNSAFE (the caller closes `fd`) when the file opened as `fd` for `path` is not at
 * `where`, the place the walk of its way found (guardFolder, guardChain): a folder on the way was
 * swapped between the walk and the open. Without /proc (not mounted), the walk alone stands.
 */
export function placedAt(fd: number, where: string, path: string, use: LogUse, role: FileRole = 'logs'): void {
  let actual: string;
  try {
    actual = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return;
  }
  if (actual === where) return;
  throw new AgentFault(`${path} was opened at ${actual}, not at ${where} where its way led a moment before: a folder on the way changed meanwhile (another user may be swapping it), so pmx does not ${use} ${role} ${use === 'write' ? 'into' : 'from'} it; ${ELSEWHERE}`, {
    code: 'LOG_FILE_UNSAFE',
    file: path,
    data: { path, opened: actual, expected: where },
  });
}

/** Opened with every open of a log or pid file: O_NONBLOCK, so that a FIFO or a device at the path returns at once (to be refused). */
export const NEVER_BLOCK = constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Opens the existing file at `path` with `flags` (O_WRONLY | O_APPEND, O_RDONLY, ...), and
 * returns its descriptor once checkOpened and placedAt passed; throws LOG_FILE_UNSAFE when it is
 * refused, and the open's error (ENOENT, EACCES) otherwise. A link of this user's that leads
 * nowhere yet is given its target, with mode `createThroughLink`, when that is set.
 */
export function openExisting(path: string, flags: number, use: LogUse, createThroughLink?: number, walked?: string): number {
  // `walked`: where guardFolder found it a moment ago (the caller's prepareFolder), not walked twice
  let where = walked ?? guardFolder(path);
  let fd: number;
  try {
    fd = openSync(path, flags | NEVER_BLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw explained(path, error, use);
    // a symbolic link: followed only when this user (or root) made it, so that another user who
    // can write the directory cannot point an agent's log at a file of the agent's user; and so
    // is every link it leads through, with the folders on their way (a link of root's to a link of
    // theirs would otherwise take root's agent wherever they chose)
    const link = lstatSync(path);
    refuseForeign(path, link, 'is a symbolic link made by', use);
    where = guardChain(path, { named: path, code: 'LOG_FILE_UNSAFE', elsewhere: ELSEWHERE, systemGroups: true, danglingTarget: createThroughLink !== undefined });
    try {
      fd = createThroughLink === undefined ? openSync(path, flags | NEVER_BLOCK) : openSync(path, flags | NEVER_BLOCK | constants.O_CREAT, createThroughLink);
    } catch (error) {
      throw explained(path, error, use);
    }
  }
  try {
    checkOpened(path, fstatSync(fd), use);
    placedAt(fd, where, path, use);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/**
 * Opens a log for reading (`pmx logs`, the dashboard's log panel) only as the writer would use it:
 * never a FIFO or a device, nor another user's file or link, nor a file with other names, whose
 * lines (a link to /etc/shadow, or lines another user wrote) would pass for the app's.
 */
export function openLogForReading(path: string): number {
  return openExisting(path, constants.O_RDONLY, 'read', undefined, guardFolder(path));
}

/** The message of a refusal by this module (a file not to be used), or null for any other error (not there yet, ...). */
export function refusalOf(error: unknown): string | null {
  return error instanceof AgentFault && (error.code === 'LOG_FILE_UNSAFE' || error.code === 'HOME_UNSAFE') ? error.message : null;
}

/**
 * Empties the log at `path` (`pmx flush`) through a descriptor opened as openExisting opens it;
 * returns why it was left as it is, or null when it was emptied or is not there (nothing to empty).
 */
export function emptyLog(path: string): string | null {
  let fd: number;
  try {
    fd = openExisting(path, constants.O_WRONLY, 'write', undefined, guardFolder(path));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : (error as Error).message;
  }
  try {
    ftruncateSync(fd, 0);
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `path` with exactly `mode` (whatever the umask) and opens it with `flags`; null when
 * something is there already (a link is not followed, O_EXCL). Throws LOG_FILE_UNSAFE when it was
 * made elsewhere than its way led (placedAt), and the open's other errors.
 */
export function createExclusive(path: string, flags: number, mode: number, umaskMayStrip: boolean, walked?: string): number | null {
  const where = walked ?? guardFolder(path);
  let fd: number;
  try {
    fd = openSync(path, flags | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw error;
  }
  try {
    placedAt(fd, where, path, 'write');
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  if (umaskMayStrip) fchmodSync(fd, mode);
  return fd;
}

/** Throws LOG_FILE_UNSAFE unless `stats` (of the file opened at `path`) is a regular file of this user or root, with one name. */
export function checkOpened(path: string, stats: Stats, use: LogUse, role: FileRole = 'logs'): void {
  const fix = 'remove it or choose another path';
  if (!stats.isFile()) {
    throw refusal(path, stats, `is ${kindOf(stats)}, not a regular file (uid ${stats.uid}, mode ${modeOf(stats)}): pmx ${use === 'write' ? `writes ${role} only into` : `reads ${role} only from`} regular files; ${fix}`);
  }
  refuseForeign(path, stats, 'belongs to', use, role);
  if (stats.nlink > 1) {
    throw refusal(path, stats, `has ${stats.nlink} hard links (uid ${stats.uid}, mode ${modeOf(stats)}): another name of the same file may be anywhere (a link to /etc/shadow), so pmx does not ${use} ${role} ${use === 'write' ? 'into' : 'from'} it; ${fix}`);
  }
}

/**
 * The refusal for what an open found at `path` when it is no regular file: a FIFO nobody reads
 * fails a non-blocking open for writing with ENXIO, which names nothing. Any other error as it is.
 */
export function explained(path: string, error: unknown, use: LogUse, role: FileRole = 'logs'): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'ENXIO') return error;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) checkOpened(path, stats, use, role);
  } catch (refused) {
    return refused instanceof AgentFault ? refused : error;
  }
  return error;
}

function refuseForeign(path: string, stats: Stats, what: string, use: LogUse, role: FileRole = 'logs'): void {
  if (stats.uid === euid() || stats.uid === 0) return;
  const action = use === 'write' ? `write ${role} into another user's file` : `read ${role} from another user's file`;
  throw refusal(path, stats, `${what} uid ${stats.uid}, not uid ${euid()}: pmx does not ${action}; remove it or choose another path`);
}

function refusal(path: string, stats: Stats, problem: string): AgentFault {
  return new AgentFault(`${path} ${problem}`, { code: 'LOG_FILE_UNSAFE', file: path, data: { path, uid: stats.uid, mode: modeOf(stats) } });
}

/** What a file that is not a regular one is, as `ls -l` would tell. */
function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isDirectory()) return 'a directory';
  return 'a special file';
}

function modeOf(stats: Stats): string {
  return (stats.mode & 0o7777).toString(8).padStart(4, '0');
}

function euid(): number {
  return process.geteuid?.() ?? 0;
}

/**
 * Whether a file just created with `mode` may have lost bits of it to the umask: the agent's own,
 * or the 0177 it sets for an instant around a listen (starting 1,000 apps makes 2,000 files: one
 * chmod each is saved when neither could).
 */
export function umaskMayStrip(mode: number): boolean {
  return (mode & ~(UMASK | 0o177)) !== mode;
}

/** The agent's umask, read once: it changes it only for an instant (rpc/server.ts, around a listen). */
const UMASK = (() => {
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask;
})();

// One log file open for appending, shared by every process that writes to it, rotated at line
// boundaries by size or on a schedule, with old files compressed and pruned.
import { close, closeSync, constants, open, existsSync, fchmodSync, fstatSync, ftruncateSync, statSync, writeSync, writevSync } from 'node:fs';
import { createExclusive, openExisting, placedAt, prepareFolder, umaskMayStrip } from './log-open.js';
import { compressRotated, finishCompressions } from './compress.js';
import { moveAside, pruneRotated } from './rotated-files.js';

/** When and how a log file is rotated; max_size 0 and no interval means never. */
export interface RotationPolicy {
  max_size: number;
  retain: number;
  compress: boolean;
  rotate_interval: string | null;
  date_format: string;
}

/** Mode of the log files pmx creates: an app's output may hold secrets (`log_mode` asks for another). */
export const DEFAULT_LOG_MODE = 0o600;

/** While a file cannot be written, a write is tried again at most this often; lines in between are dropped. */
export const RETRY_WRITE_MS = 1000;

/** Why a log file is not being written, and since when. */
export interface WriteFailure {
  message: string;
  since: number;
  /** Bytes of output dropped since. */
  dropped: number;
}

export const DEFAULT_ROTATION: RotationPolicy = {
  max_size: 0,
  retain: 30,
  compress: false,
  rotate_interval: null,
  date_format: 'YYYY-MM-DD_HH-mm-ss',
};

/**
 * An appending writer for one path; every write is whole lines, so files always end on a line.
 * Writes of one event-loop turn are gathered into one writev(2) from the agent's thread: a
 * page-cache append costs microseconds, far less than handing each chunk to the thread pool.
 * A file that cannot be written (a full disk, a removed directory) is tried again with the next
 * output, at most every RETRY_WRITE_MS: writing resumes by itself once the cause is gone.
 */
export class LogFile {
  private fd: number | null = null;
  private size = 0;
  /** Set while writes fail; `failure.since` and the last attempt pace the retries. */
  private failing: WriteFailure | null = null;
  private lastAttempt = 0;
  /** Why the last rotation failed (reported once), while none has succeeded since. */
  private rotationFailing: { message: string; since: number } | null = null;
  /** The compressions a killed agent left unfinished were looked for since the last reopen. */
  private unfinishedChecked = false;
  private pending: Buffer[] = [];
  private flushScheduled = false;

  constructor(
    readonly path: string,
    private policy: RotationPolicy,
    private readonly onError: (message: string, path: string) => void,
    private readonly mode = DEFAULT_LOG_MODE,
    /** Told once writing works again after a failure. */
    private readonly onRecovered: (message: string, path: string) => void = () => undefined,
  ) {}

  /** Takes `next` rotation settings; whether they differ from those it had. */
  repolicy(next: RotationPolicy): boolean {
    if (JSON.stringify(next) === JSON.stringify(this.policy)) return false;
    this.policy = next;
    return true;
  }

  /** The cron expression this file rotates on, or null. */
  get rotatesEvery(): string | null {
    return this.policy.rotate_interval ?? null;
  }

  /** Why writing fails now, or null while it works. */
  get failure(): WriteFailure | null {
    return this.failing;
  }

  /** Why the file is not being rotated (it grows past max_size), or null. */
  get rotationFailure(): { message: string; since: number } | null {
    return this.rotationFailing;
  }

  /** Queues whole lines; they reach the file at the end of this event-loop turn. */
  write(data: Buffer | string): void {
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.failing && Date.now() - this.lastAttempt < RETRY_WRITE_MS) {
      this.failing.dropped += buffer.length; // an app must never block on its logs
      return;
    }
    this.pending.push(buffer);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes what is queued; rotates when the file has reached max_size. */
  flush(): void {
    this.flushScheduled = false;
    const buffers = this.pending;
    this.pending = [];
    if (buffers.length === 0) return;
    this.lastAttempt = Date.now();
    if (this.failing) this.letGoIfReplaced();
    const fd = this.fd ?? this.open();
    if (fd === null) return this.drop(buffers);
    try {
      this.size += writeAll(fd, buffers);
    } catch (error) {
      // the lines that reached the file stay; a line cut by a full disk is taken back, so the file still ends on a whole line
      const written = (error as { written?: number }).written ?? 0;
      const kept = wholeLines(buffers, written);
      if (kept < written) untilSize(fd, fstatSafe(fd) - (written - kept));
      this.size += kept;
      this.fail(`cannot write log file ${this.path}: ${(error as Error).message}`);
      return this.drop(buffers, kept);
    }
    if (this.failing) this.recover();
    if (this.policy.max_size > 0 && this.size >= this.policy.max_size) {
      // emptied meanwhile (`pmx flush`, a copytruncate): counted again from what it holds, or the next rotation would cut a small file
      this.size = Math.min(this.size, fstatSafe(fd, this.size));
      if (this.size >= this.policy.max_size) this.rotate();
    }
  }

  /** Moves the current file aside (`name__<date>.log`) and starts a new one. */
  rotate(): void {
    if (this.pending.length > 0) this.flush(); // may rotate by itself, on size
    if (this.fd === null || this.size === 0) return;
    let rotated: string | null;
    try {
      // null when removed by hand: what it held is gone with it, and writing on into the removed
      // file would grow it unseen without bound; a new file is started at the path, with nothing to rotate
      rotated = moveAside(this.path, this.policy.date_format, new Date());
    } catch (error) {
      // told once, not on every write that finds the file still too big
      const message = `cannot rotate ${this.path}: ${(error as Error).message}`;
      if (!this.rotationFailing) this.onError(message, this.path);
      this.rotationFailing = { message, since: this.rotationFailing?.since ?? Date.now() };
      return;
    }
    this.rotationFailing = null;
    closeSync(this.fd);
    this.fd = null;
    this.size = 0;
    // the new file is made at once, as logrotate's `create` does: the path `describe` names (and
    // that `tail -F` follows) exists even when the app writes nothing more
    this.open();
    if (rotated !== null) finishRotation(this.path, () => this.afterRotation(rotated));
  }

  /**
   * Makes the file, empty, before any output, as PM2 does at start (`tail -f` of a quiet app's log
   * works). On the thread pool, off the agent's thread: a start of 1,000 apps makes 2,000 files. A
   * file that exists is left as it is; the first output opens the path as usual.
   */
  create(): void {
    // removed by hand since (`rm` of a big log, then a restart): let go of it, and make it again
    this.letGoIfReplaced();
    if (this.fd !== null || this.failing) return;
    // the way is walked at every open: a folder that passed once can be removed (a cleanup of /tmp)
    // and another user's link put in its place
    let where: string;
    try {
      where = prepareFolder(this.path, dirMode(this.mode));
    } catch (error) {
      // said at once (start's list, ls, describe), not at the app's first output: the app may be quiet
      this.fail(`cannot write log file ${this.path}: ${(error as Error).message}`);
      return;
    }
    this.finishUnfinished();
    open(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, this.mode, (error, fd) => {
      if (error) return; // there already, or not to be made: the first output says why
      try {
        // made elsewhere (a folder swapped meanwhile): left empty; the first output's open refuses the way
        placedAt(fd, where, this.path, 'write');
        if (umaskMayStrip(this.mode)) fchmodSync(fd, this.mode);
      } catch {
        // the first output's open says why
      }
      close(fd, () => undefined);
    });
  }

  /** Closes the file; the next write opens the path again (after an external logrotate). */
  reopen(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.lastAttempt = 0; // the next output tries at once
    this.unfinishedChecked = false;
    this.finishUnfinished();
  }

  close(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private open(): number | null {
    try {
      const where = prepareFolder(this.path, dirMode(this.mode));
      const { fd, created } = openForAppend(this.path, this.mode, where);
      this.fd = fd;
      this.size = created ? 0 : fstatSync(fd).size;
      this.finishUnfinished();
      return this.fd;
    } catch (error) {
      this.fail(`cannot write log file ${this.path}: ${(error as Error).message}`);
      return null;
    }
  }

  /**
   * Closes the file when the path no longer leads to it: an admin who removes a log that filled
   * the disk frees its space only once the agent lets go of it, and the next open starts a new
   * file at the path (through the same guarded open as any other).
   */
  private letGoIfReplaced(): void {
    if (this.fd === null || sameFile(this.fd, this.path)) return;
    closeSync(this.fd);
    this.fd = null;
  }

  /** Writing fails: reported once (not on every retry), and output is dropped until it works again. */
  private fail(message: string): void {
    if (this.failing) {
      this.failing.message = message;
      return;
    }
    this.failing = { message, since: Date.now(), dropped: 0 };
    this.onError(message, this.path);
  }

  /** Counts what of `buffers` did not reach the file (all but `kept` bytes) as dropped. */
  private drop(buffers: Buffer[], kept = 0): void {
    if (this.failing) this.failing.dropped += buffers.reduce((sum, buffer) => sum + buffer.length, 0) - kept;
  }

  private recover(): void {
    const { since, dropped } = this.failing!;
    this.failing = null;
    this.onRecovered(`writing log file ${this.path} again after ${Math.round((Date.now() - since) / 1000)} s; ${dropped} bytes of output were dropped meanwhile`, this.path);
  }

  /** Compresses (compressRotated) and prunes, in the order of the rotations (finishRotation). */
  private async afterRotation(rotated: string): Promise<void> {
    try {
      if (this.policy.compress && existsSync(rotated)) await compressRotated(rotated, this.mode, (message) => this.onError(message, this.path));
      pruneRotated(this.path, this.policy.date_format, this.policy.retain);
    } catch (error) {
      this.onError(`cannot finish rotating ${rotated}: ${(error as Error).message}`, this.path);
    }
  }

  /**
   * Once per open of the path (the agent's start, an adoption, reloadLogs), finishes the
   * compressions an agent killed meanwhile left, before any rotation's own (finishRotation).
   */
  private finishUnfinished(): void {
    if (!this.policy.compress || this.unfinishedChecked) return;
    this.unfinishedChecked = true;
    const report = (message: string): void => this.onError(message, this.path);
    finishRotation(this.path, () => finishCompressions(this.path, this.policy.date_format, this.mode, report).catch((error: Error) => report(`cannot finish compressing the rotated files of ${this.path}: ${error.message}`)));
  }
}

/**
 * The compressions and prunings of one path, in the order of its rotations. Run concurrently, a
 * prune saw another rotation's file half-compressed (both the file and its .gz) and removed what
 * it should have kept, or the compressor's own source.
 */
const finishing = new Map<string, Promise<void>>();

function finishRotation(path: string, work: () => Promise<void>): void {
  const next = (finishing.get(path) ?? Promise.resolve()).then(work);
  finishing.set(path, next);
  void next.then(() => {
    if (finishing.get(path) === next) finishing.delete(path);
  });
}

/**
 * Writes the buffers in one writev(2), without joining them first; returns the bytes written.
 * A failure after a short write (a nearly full disk) carries the bytes that did reach the file as `written`.
 */
function writeAll(fd: number, buffers: Buffer[]): number {
  const total = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
  const written = buffers.length === 1 ? writeSync(fd, buffers[0]!) : writevSync(fd, buffers);
  if (written === total) return total;
  // a short write (a signal, a nearly full disk) continues where it stopped
  const rest = Buffer.concat(buffers).subarray(written);
  let offset = 0;
  try {
    while (offset < rest.length) offset += writeSync(fd, rest, offset);
  } catch (error) {
    throw Object.assign(error as Error, { written: written + offset });
  }
  return total;
}

/**
 * Opens `path` for appending; a file it creates gets exactly `mode`, whatever the umask. What is
 * there already is used only as log-open.ts allows (never a FIFO, a device, a hard link, or a file
 * or link of another user), and never blocks the agent's thread.
 */
function openForAppend(path: string, mode: number, where: string): { fd: number; created: boolean } {
  const append = constants.O_WRONLY | constants.O_APPEND;
  const fd = createExclusive(path, append, mode, umaskMayStrip(mode), where);
  if (fd !== null) return { fd, created: true };
  return { fd: openExisting(path, append, 'write', mode, where), created: false };
}

/** A directory made for a log file is as private as the file: searchable by whom may read the file. */
function dirMode(mode: number): number {
  return mode | ((mode & 0o444) >> 2);
}

/** Bytes of the first `written` of `buffers` up to their last newline: the whole lines among them. */
function wholeLines(buffers: Buffer[], written: number): number {
  let kept = 0;
  let offset = 0;
  for (const buffer of buffers) {
    if (offset >= written) break;
    const newline = buffer.subarray(0, written - offset).lastIndexOf(0x0a);
    if (newline >= 0) kept = offset + newline + 1;
    offset += buffer.length;
  }
  return kept;
}

/** Whether `path` leads to the file open at `fd` (false when the path is gone). */
function sameFile(fd: number, path: string): boolean {
  try {
    const open = fstatSync(fd);
    const named = statSync(path);
    return open.ino === named.ino && open.dev === named.dev;
  } catch {
    return false;
  }
}

/** The size of the file open at `fd`, or `otherwise` when it cannot be read. */
function fstatSafe(fd: number, otherwise = 0): number {
  try {
    return fstatSync(fd).size;
  } catch {
    return otherwise;
  }
}

/** Truncates the file back to `size`, best effort (the disk is full; the next line would follow a cut one). */
function untilSize(fd: number, size: number): void {
  try {
    if (size >= 0) ftruncateSync(fd, size);
  } catch {
    // nothing more can be done: the file keeps the cut line
  }
}

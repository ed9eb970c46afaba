// One log file open for appending, shared by every process that writes to it, rotated at line
// boundaries by size or on a schedule, with old files compressed and pruned.
import { closeSync, createReadStream, createWriteStream, fstatSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync, writevSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { formatDate } from './timestamp.js';

/** When and how a log file is rotated; max_size 0 and no interval means never. */
export interface RotationPolicy {
  max_size: number;
  retain: number;
  compress: boolean;
  rotate_interval: string | null;
  date_format: string;
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
 */
export class LogFile {
  private fd: number | null = null;
  private size = 0;
  private failed = false;
  private rotations = 0;
  private lastStamp = '';
  private pending: Buffer[] = [];
  private flushScheduled = false;

  constructor(
    readonly path: string,
    private readonly policy: RotationPolicy,
    private readonly onError: (message: string, path: string) => void,
  ) {}

  /** Queues whole lines; they reach the file at the end of this event-loop turn. */
  write(data: Buffer | string): void {
    if (this.failed) return;
    this.pending.push(typeof data === 'string' ? Buffer.from(data) : data);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes what is queued; rotates when the file has reached max_size. */
  flush(): void {
    this.flushScheduled = false;
    const buffers = this.pending;
    this.pending = [];
    if (buffers.length === 0 || this.failed) return;
    const fd = this.fd ?? this.open();
    if (fd === null) return;
    try {
      this.size += writeAll(fd, buffers);
    } catch (error) {
      this.fail(`cannot write log file ${this.path}: ${(error as Error).message}`);
      return;
    }
    if (this.policy.max_size > 0 && this.size >= this.policy.max_size) this.rotate();
  }

  /** Moves the current file aside (`name__<date>.log`) and starts a new one. */
  rotate(): void {
    if (this.pending.length > 0) this.flush(); // may rotate by itself, on size
    if (this.fd === null || this.size === 0) return;
    const rotated = this.rotatedName(new Date());
    try {
      renameSync(this.path, rotated);
    } catch (error) {
      this.onError(`cannot rotate ${this.path}: ${(error as Error).message}`, this.path);
      return;
    }
    closeSync(this.fd);
    this.fd = null;
    this.size = 0;
    void this.afterRotation(rotated);
  }

  /** Closes the file; the next write opens the path again (after an external logrotate). */
  reopen(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.failed = false;
  }

  close(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private open(): number | null {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'a');
      this.size = fstatSync(this.fd).size;
      return this.fd;
    } catch (error) {
      this.fail(`cannot write log file ${this.path}: ${(error as Error).message}`);
      return null;
    }
  }

  /** Output is dropped from now on: an app must never block on its logs. */
  private fail(message: string): void {
    this.failed = true;
    this.pending = [];
    this.onError(message, this.path);
  }

  private rotatedName(now: Date): string {
    const ext = extname(this.path);
    const base = this.path.slice(0, this.path.length - ext.length);
    const stamp = formatDate(now, this.policy.date_format);
    // two rotations within the same second get distinct names
    const suffix = this.rotations++ > 0 && this.lastStamp === stamp ? `.${this.rotations}` : '';
    this.lastStamp = stamp;
    return `${base}__${stamp}${suffix}${ext}`;
  }

  private async afterRotation(rotated: string): Promise<void> {
    try {
      if (this.policy.compress) {
        const { createGzip } = await import('node:zlib'); // only agents that compress load zlib
        await pipeline(createReadStream(rotated), createGzip(), createWriteStream(`${rotated}.gz`));
        unlinkSync(rotated);
      }
      this.prune();
    } catch (error) {
      this.onError(`cannot finish rotating ${rotated}: ${(error as Error).message}`, this.path);
    }
  }

  /** Keeps the newest `retain` rotated files of this log. */
  private prune(): void {
    const dir = dirname(this.path);
    const ext = extname(this.path);
    const prefix = `${basename(this.path, ext)}__`;
    const rotated = readdirSync(dir)
      .filter((name) => name.startsWith(prefix) && /\.log(\.gz)?$|__/.test(name))
      .map((name) => ({ name, mtime: statSync(join(dir, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime || b.name.localeCompare(a.name));
    for (const { name } of rotated.slice(this.policy.retain)) unlinkSync(join(dir, name));
  }
}

function statSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Writes the buffers in one writev(2), without joining them first; returns the bytes written. */
function writeAll(fd: number, buffers: Buffer[]): number {
  const total = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
  const written = buffers.length === 1 ? writeSync(fd, buffers[0]!) : writevSync(fd, buffers);
  if (written === total) return total;
  // a short write (a signal, a nearly full disk) continues where it stopped
  const rest = Buffer.concat(buffers).subarray(written);
  for (let offset = 0; offset < rest.length; ) offset += writeSync(fd, rest, offset);
  return total;
}

// One log file open for appending, shared by every process that writes to it, rotated at line
// boundaries by size or on a schedule, with old files compressed and pruned.
import { createReadStream, createWriteStream, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, type WriteStream } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
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

/** An appending writer for one path; every write is whole lines, so files always end on a line. */
export class LogFile {
  private stream: WriteStream | null = null;
  private size = 0;
  private failed = false;
  private rotations = 0;
  private lastStamp = '';

  constructor(
    readonly path: string,
    private readonly policy: RotationPolicy,
    private readonly onError: (message: string, path: string) => void,
  ) {}

  /** Appends whole lines; rotates afterwards when the file has reached max_size. */
  write(data: Buffer | string): void {
    if (this.failed) return;
    const stream = this.stream ?? this.open();
    if (!stream) return;
    stream.write(data);
    this.size += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (this.policy.max_size > 0 && this.size >= this.policy.max_size) this.rotate();
  }

  /** Moves the current file aside (`name__<date>.log`) and starts a new one. */
  rotate(): void {
    if (!this.stream || this.size === 0) return;
    const rotated = this.rotatedName(new Date());
    try {
      // data already handed to the old stream still lands in the renamed file: same inode
      renameSync(this.path, rotated);
    } catch (error) {
      this.onError(`cannot rotate ${this.path}: ${(error as Error).message}`, this.path);
      return;
    }
    const old = this.stream;
    this.stream = null;
    this.size = 0;
    old.end(() => void this.afterRotation(rotated));
  }

  /** Closes the file; the next write opens the path again (after an external logrotate). */
  reopen(): void {
    this.stream?.end();
    this.stream = null;
    this.failed = false;
  }

  close(): void {
    this.stream?.end();
    this.stream = null;
  }

  private open(): WriteStream | null {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      this.size = statSize(this.path);
    } catch {
      // createWriteStream reports the failure below
    }
    const stream = createWriteStream(this.path, { flags: 'a' });
    stream.on('error', (error) => {
      this.onError(`cannot write log file ${this.path}: ${error.message}`, this.path);
      // output is dropped from now on: an app must never block on its logs
      this.failed = true;
      if (this.stream === stream) this.stream = null;
    });
    this.stream = stream;
    return stream;
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

// One log file followed by its path, across rotations: when the file being read is moved aside,
// what it still holds is read to its end, then the rotated files made after it (compressed ones
// too), then the new file at the path. What was removed before it could be read is told as a gap,
// never skipped in silence.
import { closeSync, fstatSync, readSync, statSync, type Stats } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { openLogForReading } from '../../agent/logs/log-open.js';
import type { LogRotation } from '../../agent/protocol/app-spec.js';
import { contentOf, gzLength, holds, openRotated, type RotatedFile, rotatedBefore, rotatedFilesOf, sameFile } from './log-rotated.js';
import { splitChunk } from '../shared/line-splitter.js';

/** How much is read at a time. */
const CHUNK_BYTES = 64 * 1024;

/**
 * What could not be shown: a rotated file removed before it was read (`bytes` of it, null when
 * not known), or an unknown part of the output of a log whose rotated files were pruned (the
 * rotation keeps `retain` of them) before the reader got to them.
 */
export type LogGap = { kind: 'removed'; file: string; bytes: number | null } | { kind: 'pruned'; file: string; retain: number };

/** Where what is read goes, in the order it was written. */
export interface LogReader {
  line(text: string): void;
  gap(gap: LogGap): void;
}

/** How the agent rotates the followed file (its log_rotate), or null when it does not. */
export type Rotation = Pick<LogRotation, 'date_format' | 'retain'>;

/**
 * A file left behind by a rotation, to be read to its end and let go: the file that was being
 * read, or one rotated after it (opened as soon as it was seen, so that a prune takes nothing
 * away); or, with neither fd nor content, a gap to say in its place.
 */
interface Behind {
  fd: number | null;
  compressed: boolean;
  /** What a .gz holds, once reached. */
  content: Buffer | null;
  offset: number;
  /** Said in its place when it cannot be read (null: the file that was being read, which is open). */
  gap: LogGap | null;
}

/** A file followed by its path; `read` gives what it gained since the last read. */
export class FollowedLog {
  private fd: number | null = null;
  private opened: Stats | null = null;
  private offset = 0;
  /** Files left behind by rotations and not read to their end yet, oldest first: read before the file at the path. */
  private behind: Behind[] = [];
  private decoder = new StringDecoder('utf8');
  private partial = '';
  /** The first piece read is the end of a line whose start was not read: left out. */
  private midLine = false;
  private readonly buffer = Buffer.alloc(CHUNK_BYTES);

  constructor(
    readonly path: string,
    private readonly rotation: Rotation | null,
  ) {}

  /**
   * Opens the file at the path, to be read from its end (only lines written from now on; with
   * `backlog`, the whole lines of that many bytes before it too), or from its start when it was
   * made at or after `bornSince` (a process newer than the reader). Throws what
   * openLogForReading throws (not there, a refusal).
   */
  open({ bornSince = Infinity, backlog = 0 }: { bornSince?: number; backlog?: number } = {}): void {
    const fd = openLogForReading(this.path);
    this.close();
    this.fd = fd;
    this.opened = fstatSync(fd);
    this.offset = this.opened.birthtimeMs >= bornSince ? 0 : Math.max(0, this.opened.size - backlog);
    this.midLine = this.offset > 0 && backlog > 0;
  }

  /** The file at the path open where the next read starts, or null: before any read, the lines before it are the backlog's. */
  get position(): { fd: number; offset: number } | null {
    return this.fd === null || this.behind.length > 0 ? null : { fd: this.fd, offset: this.offset };
  }

  close(): void {
    for (const { fd } of this.behind) if (fd !== null) closeSync(fd);
    this.behind = [];
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.opened = null;
    this.partial = '';
    this.decoder = new StringDecoder('utf8');
  }

  /**
   * Reads what the path gained, about `budget` bytes at most: the rest of the files left behind
   * by rotations, then the file at the path; when the path leads to another file (a rotation),
   * the old file and the rotated files after it are left behind to be read first. True when the
   * budget ran out before the end (call again, once what was read has been shown). Throws the
   * open's error when the new file cannot be opened (tried again next time).
   */
  read(to: LogReader, budget = Infinity): boolean {
    let left = budget;
    for (;;) {
      while (this.behind.length > 0) {
        left -= this.readBehind(this.behind[0]!, to, left);
        if (this.behind[0]!.fd !== null || this.behind[0]!.content !== null) return true;
        this.behind.shift();
        this.endFile(to);
      }
      if (this.fd !== null) {
        left -= this.drain(to, left);
        if (left <= 0) return true;
      }
      let now: Stats;
      try {
        now = statSync(this.path);
      } catch {
        return false; // moved aside, and the new file not made yet: next time
      }
      if (this.fd !== null && sameFile(now, this.opened!)) {
        if (now.size >= this.offset) return false;
        this.offset = 0; // emptied (flush): start over
        continue;
      }
      const next = openLogForReading(this.path);
      const nextStats = fstatSync(next);
      if (this.fd !== null) {
        // the path leads elsewhere: the agent writes no more to the old file, whose rest is read first
        const { rotated, pruned } = this.rotatedBetween(this.fd, next);
        this.behind.push({ fd: this.fd, compressed: false, content: null, offset: this.offset, gap: null });
        if (pruned) this.behind.push({ fd: null, compressed: false, content: null, offset: 0, gap: pruned });
        for (const file of rotated) {
          const opened = openRotated(file);
          // its length is looked for only when it is gone (a .gz cut short says no length)
          const gap: LogGap = opened === null ? removed(file) : { kind: 'removed', file: file.path, bytes: file.plain?.size ?? null };
          this.behind.push({ fd: opened?.fd ?? null, compressed: opened?.compressed ?? false, content: null, offset: 0, gap });
        }
      }
      // not there when following began, or made by a rotation: read from its start
      this.fd = next;
      this.opened = nextStats;
      this.offset = 0;
    }
  }

  /**
   * The rotated files made after the file open as `oldFd` was moved aside and before the file open
   * as `next` was, oldest first.
   * `old` found among them (by inode, or as its .gz), every later one is there too: the prune
   * removes the oldest first. Not found, it was pruned, and so may have been some after it: the
   * gap to say before them.
   */
  private rotatedBetween(oldFd: number, next: number): { rotated: RotatedFile[]; pruned: LogGap | null } {
    if (!this.rotation) return { rotated: [], pruned: null };
    const old = fstatSync(oldFd);
    const rotated = rotatedFilesOf(this.path, this.rotation.date_format);
    const before = rotatedBefore(rotated, next);
    const oldAt = before.findIndex((file) => holds(file, old));
    if (oldAt >= 0) return { rotated: before.slice(oldAt + 1), pruned: null };
    // fewer than `retain` there: the prune has not run past it, so it was moved or removed by hand, with nothing lost to tell
    const pruned = before.length >= this.rotation.retain ? ({ kind: 'pruned', file: this.path, retain: this.rotation.retain } as const) : null;
    return { rotated: before.filter((file) => file.mtimeMs > old.mtimeMs), pruned };
  }

  /** Reads up to `left` bytes of a file left behind; its fd and content are let go at its end. Returns the bytes read. */
  private readBehind(file: Behind, to: LogReader, left: number): number {
    if (file.compressed && file.fd !== null) {
      file.content = contentOf({ fd: file.fd, compressed: true });
      file.fd = null;
    }
    if (file.fd === null && file.content === null) {
      // removed before it was opened, a .gz that cannot be read, or files pruned before they were seen
      if (file.gap !== null) to.gap(file.gap);
      return 0;
    }
    const { read, ended } = this.pour(() => {
      const chunk = file.content !== null ? file.content.subarray(file.offset, file.offset + CHUNK_BYTES) : this.chunkOf(file.fd!, file.offset);
      file.offset += chunk.length;
      return chunk;
    }, to, left);
    if (ended) {
      if (file.fd !== null) closeSync(file.fd);
      file.fd = null;
      file.content = null;
    }
    return read;
  }

  /** Reads up to `left` bytes of the file at the path; returns the bytes read. */
  private drain(to: LogReader, left: number): number {
    return this.pour(() => {
      const chunk = this.chunkOf(this.fd!, this.offset);
      this.offset += chunk.length;
      return chunk;
    }, to, left).read;
  }

  /** Passes the chunks `next` gives (each advancing its own offset) on as lines, up to `left` bytes: the bytes read, and whether the source ended. */
  private pour(next: () => Buffer, to: LogReader, left: number): { read: number; ended: boolean } {
    let read = 0;
    while (read < left) {
      const chunk = next();
      if (chunk.length === 0) return { read, ended: true };
      read += chunk.length;
      this.lines(this.decoder.write(chunk), to);
    }
    return { read, ended: false };
  }

  /** Up to CHUNK_BYTES of the file open as `fd` from `offset` (a view of one buffer, decoded before the next read). */
  private chunkOf(fd: number, offset: number): Buffer {
    return this.buffer.subarray(0, readSync(fd, this.buffer, 0, this.buffer.length, offset));
  }

  private lines(text: string, to: LogReader): void {
    const { lines, partial } = splitChunk(this.partial, text);
    this.partial = partial;
    if (this.midLine && lines.length > 0) {
      lines.shift();
      this.midLine = false;
    }
    for (const line of lines) to.line(line);
  }

  /** A file read to its end for good: an unfinished last line is a line. */
  private endFile(to: LogReader): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    this.decoder = new StringDecoder('utf8');
    if (rest !== '') to.line(rest);
  }
}

/** The gap a rotated file leaves when it cannot be read: its length when known. */
function removed(file: RotatedFile): LogGap {
  return { kind: 'removed', file: file.path, bytes: file.plain?.size ?? gzLength(file) };
}

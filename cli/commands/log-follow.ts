// One log file followed by its path, across rotations: when the file being read is moved aside,
// what it still holds is read to its end, then the rotated files made after it (compressed ones
// too), then the new file at the path. What was removed before it could be read is told as a gap,
// never skipped in silence.
import { closeSync, fstatSync, readSync, statSync, type Stats } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { openLogForReading } from '../../agent/logs/log-open.js';
import { openRotated, type OpenedRotated, type RotatedFile, rotatedFilesOf, textOf } from './log-rotated.js';

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

/** How the agent rotates the followed file (log_rotate), or null when it does not. */
export interface Rotation {
  date_format: string;
  retain: number;
}

/** A file followed by its path; `read` gives what it gained since the last read. */
export class FollowedLog {
  private fd: number | null = null;
  private opened: Stats | null = null;
  private offset = 0;
  private decoder = new StringDecoder('utf8');
  private partial = '';
  /** The first piece read is the end of a line whose start was not read: left out. */
  private midLine = false;

  constructor(
    readonly path: string,
    private readonly rotation: Rotation | null,
  ) {}

  get isOpen(): boolean {
    return this.fd !== null;
  }

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

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.opened = null;
    this.partial = '';
    this.decoder = new StringDecoder('utf8');
  }

  /**
   * Reads what the path gained: the rest of the open file; when the path leads to another file
   * (a rotation), the rotated files between them and the new one. Throws the open's error when the
   * new file cannot be opened (the old one stays open, read to its end, and is tried again next time).
   */
  read(to: LogReader): void {
    if (this.fd !== null) this.drain(to);
    let now: Stats;
    try {
      now = statSync(this.path);
    } catch {
      return; // moved aside, and the new file not made yet: next time
    }
    if (this.fd !== null && sameFile(now, this.opened!)) {
      if (now.size >= this.offset) return;
      this.offset = 0; // emptied (flush): start over
      this.drain(to);
      return;
    }
    const next = openLogForReading(this.path);
    if (this.fd === null) {
      // not there when following began: read from its start
      this.fd = next;
      this.opened = fstatSync(next);
      this.offset = 0;
      this.drain(to);
      return;
    }
    const nextStats = fstatSync(next);
    // what was written to the old file between the read above and its rotation
    this.drain(to);
    const old = fstatSync(this.fd);
    this.endFile(to);
    closeSync(this.fd);
    // the rotated files opened now, before any is read: a prune while they are read takes nothing away
    const between = this.rotatedBetween(old, nextStats, to).map((file) => ({ file, fd: openRotated(file) }));
    for (const { file, fd } of between) readRotated(file, fd, to);
    this.fd = next;
    this.opened = nextStats;
    this.offset = 0;
    this.drain(to);
  }

  /**
   * The rotated files made after `old` was moved aside and before `next` was, oldest first.
   * `old` found among them (by inode, or as its .gz), every later one is there too: the prune
   * removes the oldest first. Not found, it was pruned, and so may have been some after it: said.
   */
  private rotatedBetween(old: Stats, next: Stats, to: LogReader): RotatedFile[] {
    if (!this.rotation) return [];
    const rotated = rotatedFilesOf(this.path, this.rotation.date_format);
    const nextAt = rotated.findIndex((file) => file.plain !== null && sameFile(file.plain, next));
    const before = nextAt < 0 ? rotated : rotated.slice(0, nextAt);
    const oldAt = before.findIndex((file) => holds(file, old));
    if (oldAt >= 0) return before.slice(oldAt + 1);
    // fewer than `retain` there: the prune has not run past it, so it was moved or removed by hand, with nothing lost to tell
    if (before.length >= this.rotation.retain) to.gap({ kind: 'pruned', file: this.path, retain: this.rotation.retain });
    return before.filter((file) => file.mtimeMs > old.mtimeMs);
  }

  private drain(to: LogReader): void {
    const buffer = Buffer.alloc(CHUNK_BYTES);
    for (;;) {
      const read = readSync(this.fd!, buffer, 0, buffer.length, this.offset);
      if (read === 0) return;
      this.offset += read;
      this.lines(this.decoder.write(buffer.subarray(0, read)), to);
    }
  }

  private lines(text: string, to: LogReader): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
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

/** Whether `file` is the file `stats` describes: its plain name still, or its .gz (same time to the ms, as gzip keeps it, and same length). */
function holds(file: RotatedFile, stats: Stats): boolean {
  if (file.plain !== null) return sameFile(file.plain, stats);
  return file.gz !== null && Math.abs(file.gz.mtimeMs - stats.mtimeMs) < 1 && file.gzLength() === stats.size % 2 ** 32;
}

/** Gives every line of a rotated file, or the gap it leaves when it could not be read. */
function readRotated(file: RotatedFile, opened: OpenedRotated | null, to: LogReader): void {
  const gap = (): void => to.gap({ kind: 'removed', file: file.path, bytes: file.plain?.size ?? file.gzLength() });
  if (opened === null) return gap();
  const text = textOf(opened);
  if (text === null) return gap();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) to.line(line);
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

// The last lines of a process's out and err logs, and the lines added since, read by polling:
// what `pmx monit` shows of the selected process. A file that is replaced (rotation) or cut
// (flush) is read again from its start.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { LogLine } from '../output/monit-view.js';
import { splitChunk } from '../shared/line-splitter.js';

/** How much of a file's end is read for its last lines. */
const BACKLOG_BYTES = 16 * 1024;

interface Tailed {
  file: string;
  stream: 'out' | 'err';
  offset: number;
  inode: number;
  partial: string;
}

/** Follows a set of log files; `poll` appends what they gained to `lines` (at most `keep`). */
export class LogTail {
  readonly lines: LogLine[] = [];
  private readonly files: Tailed[];

  constructor(files: Array<{ file: string; stream: 'out' | 'err' }>, private readonly keep: number) {
    this.files = files.filter(({ file }) => file && file !== '/dev/null').map(({ file, stream }) => ({ file, stream, offset: -1, inode: 0, partial: '' }));
    this.poll();
  }

  /** Reads what each file gained; true when a line was added. */
  poll(): boolean {
    let added = false;
    for (const tailed of this.files) added = this.read(tailed) || added;
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
    return added;
  }

  private read(tailed: Tailed): boolean {
    let size: number;
    let inode: number;
    try {
      ({ size, ino: inode } = statSync(tailed.file));
    } catch {
      return false; // not written yet
    }
    const first = tailed.offset < 0;
    if (first) tailed.offset = Math.max(0, size - BACKLOG_BYTES);
    else if (inode !== tailed.inode || size < tailed.offset) tailed.offset = 0;
    tailed.inode = inode;
    if (size <= tailed.offset) return false;
    const buffer = Buffer.alloc(Math.min(size - tailed.offset, 1024 * 1024));
    let fd: number;
    try {
      fd = openSync(tailed.file, 'r');
    } catch {
      return false;
    }
    try {
      if (fstatSync(fd).ino !== inode) return false;
      const read = readSync(fd, buffer, 0, buffer.length, tailed.offset);
      tailed.offset += read;
      const { lines: parts, partial } = splitChunk(tailed.partial, buffer.subarray(0, read).toString('utf8'));
      tailed.partial = partial;
      // the backlog starts mid-file: its first piece is most likely part of a line
      if (first && size > BACKLOG_BYTES) parts.shift();
      for (const text of parts) this.lines.push({ stream: tailed.stream, text });
      return parts.length > 0;
    } finally {
      closeSync(fd);
    }
  }
}

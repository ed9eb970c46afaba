// The lines `pmx logs` prints first from one log file: the last --lines of them, or with --grep
// the last --lines that match, or with --since those written since then. The file is read from its
// end, then its rotated files newest first, and only as far back as the answer needs.
import { closeSync, fstatSync, readSync } from 'node:fs';
import { openLogForReading } from '../../agent/logs/log-open.js';
import { type LineDater, type LogFilter, matchesGrep } from './log-filter.js';
import { contentOf, openRotated, rotatedBefore, rotatedFilesOf } from './log-rotated.js';

/** How much is read from the end at a time. */
const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** What a file gives: its lines to print (oldest first), and how many lines --since had to leave out for want of a time. */
export interface Backlog {
  lines: string[];
  /** Lines without a stamp that may or may not be since then (null: the file carries no stamps at all). */
  undated: number | null;
}

/** Where the backlog of a file is read from besides the file at its path. */
export interface BacklogSources {
  /** Names its rotated files (log_rotate), whose lines come before the file's own when it holds fewer than asked (a rotation just emptied it); null: none. */
  dateFormat?: string | null;
  /** The file open where following starts: the backlog ends there, so that no line is shown twice (null: the file at the path, to its end). */
  until?: { fd: number; offset: number } | null;
}

/**
 * The backlog of `file`; `count` caps the lines printed (Infinity: no cap); `dater` is null when
 * its lines carry no stamps.
 */
export function readBacklog(file: string, count: number, filter: LogFilter, dater: { date: LineDater; precisionMs: number } | null, { dateFormat = null, until = null }: BacklogSources = {}): Backlog {
  if (count === 0) return { lines: [], undated: 0 };
  let fd: number;
  try {
    // a file the writer would not use either is not read (`follow` in logs.ts says why)
    fd = until?.fd ?? openLogForReading(file);
  } catch {
    return { lines: [], undated: 0 };
  }
  try {
    const stat = fstatSync(fd);
    const lines = withRotated(linesFromEnd(fd, until?.offset ?? stat.size), file, fd, dateFormat, filter.since);
    if (filter.since === null) return { lines: collect(lines, count, filter), undated: 0 };
    // a file last written before then holds no line since then, stamped or not
    if (stat.mtimeMs < filter.since.getTime()) return { lines: [], undated: 0 };
    if (dater === null) return { lines: [], undated: null };
    return since(lines, count, filter, dater);
  } finally {
    if (until === null) closeSync(fd);
  }
}

/**
 * The lines of `current` (the file at the path, open as `fd`), then those of its rotated files, newest
 * first, each read only when more lines are asked for; those last written before `since` hold
 * none since then. A rotation of `current` meanwhile is not read twice: only files older than it count.
 */
function* withRotated(current: Iterable<string>, file: string, fd: number, dateFormat: string | null, since: Date | null): Generator<string> {
  yield* current;
  if (dateFormat === null) return;
  const rotated = rotatedFilesOf(file, dateFormat);
  for (const entry of rotatedBefore(rotated, fd).reverse()) {
    if (since !== null && entry.mtimeMs < since.getTime()) return;
    const opened = openRotated(entry);
    if (opened === null) return; // pruned meanwhile, and the older ones with it: the backlog stops where its lines stop following on
    if (!opened.compressed) {
      try {
        yield* linesFromEnd(opened.fd, fstatSync(opened.fd).size);
      } finally {
        closeSync(opened.fd);
      }
      continue;
    }
    const lines = contentOf(opened)?.toString('utf8').split('\n') ?? [];
    if (lines.at(-1) === '') lines.pop();
    yield* lines.reverse();
  }
}

// the last `count` lines that pass --grep
function collect(lines: Iterable<string>, count: number, filter: LogFilter): string[] {
  const kept: string[] = [];
  for (const line of lines) {
    if (matchesGrep(filter, line)) kept.push(line);
    if (kept.length >= count) break;
  }
  return kept.reverse();
}

// Newest first: lines without a stamp are held until an older stamped line tells which side of
// `since` they are on (a stamp since then: they are too; one before: they cannot be placed).
function since(lines: Iterable<string>, count: number, filter: LogFilter, dater: { date: LineDater; precisionMs: number }): Backlog {
  const from = Math.floor(filter.since!.getTime() / dater.precisionMs) * dater.precisionMs;
  const kept: string[] = [];
  let held: string[] = [];
  const keep = (line: string): void => {
    if (kept.length < count && matchesGrep(filter, line)) kept.push(line);
  };
  for (const line of lines) {
    if (kept.length >= count) return { lines: kept.reverse(), undated: 0 };
    const date = dater.date(line);
    if (date === null) {
      held.push(line);
      continue;
    }
    if (date.getTime() < from) return { lines: kept.reverse(), undated: held.length };
    for (const newer of held) keep(newer);
    held = [];
    keep(line);
  }
  return { lines: kept.reverse(), undated: held.length };
}

/** The lines of the first `size` bytes of a file, last first; a line cut by a read is joined before it is decoded. */
export function* linesFromEnd(fd: number, size: number): Generator<string> {
  let position = size;
  let rest = Buffer.alloc(0);
  let atEnd = true;
  while (position > 0) {
    const length = Math.min(CHUNK_BYTES, position);
    position -= length;
    const chunk = Buffer.alloc(length);
    readSync(fd, chunk, 0, length, position);
    const buffer = Buffer.concat([chunk, rest]);
    let end = buffer.length;
    for (let index = buffer.length - 1; index >= 0; index--) {
      if (buffer[index] !== NEWLINE) continue;
      // the file's last newline ends its last line: nothing follows it
      if (!(atEnd && index === buffer.length - 1)) yield buffer.toString('utf8', index + 1, end);
      atEnd = false;
      end = index;
    }
    rest = buffer.subarray(0, end);
  }
  if (rest.length > 0) yield rest.toString('utf8');
}

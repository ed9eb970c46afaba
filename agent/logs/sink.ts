// Where one process's stdout and stderr go: whole lines to its out/err files and the optional
// combined file, raw or stamped, without ever blocking the app when a file cannot be written.
import type { Readable } from 'node:stream';
import { DEFAULT_TIME_FORMAT, formatDate } from './timestamp.js';
import type { LogFile, RotationPolicy } from './log-file.js';
import type { LogFiles } from './log-files.js';

export type LogStream = 'out' | 'err';

export interface LogTargets {
  out: string;
  err: string;
  combined: string | null;
  /** dayjs-style format for a timestamp prefix, or null for raw output. */
  dateFormat: string | null;
  json: boolean;
  appName: string;
  processId: number;
  rotation: RotationPolicy;
  /** Mode of the files when the agent creates them. */
  mode: number;
}

/** Called with each block of whole lines written, for live followers (`pmx logs`). */
export type LogListener = (stream: LogStream, text: string) => void;

/** The native handle under a child's stdout/stderr pipe. */
interface PipeHandle {
  readStop?: () => number;
  readStart: () => number;
}

/** Reads smaller than this make the reader rest BATCH_REST_MS so that output gathers. */
const BATCH_BYTES = 16 * 1024;
const BATCH_REST_MS = 1;

/** A line longer than this is written in pieces rather than held without bound. */
const MAX_PARTIAL_BYTES = 1024 * 1024;
/**
 * A line begun this long ago and not ended yet (a prompt, `Listening on 3000` with no newline,
 * progress dots) is written as far as it goes, as PM2 writes output as it comes; the rest follows
 * on the same line. Shorter waits keep lines whole in files instances share.
 */
const PARTIAL_HOLD_MS = 1000;
const NEWLINE = 0x0a;

/** Writes a process's output to its files; one sink per supervised process. */
export class LogSink {
  /** Set while someone follows this process's logs live. */
  follower: LogListener | null = null;
  private readonly partial: Record<LogStream, Buffer | null> = { out: null, err: null };
  /** When the line held in `partial` began, and the timer that writes it if it has not ended in PARTIAL_HOLD_MS. */
  private readonly partialSince: Record<LogStream, number> = { out: 0, err: 0 };
  private readonly partialTimer: Record<LogStream, NodeJS.Timeout | null> = { out: null, err: null };
  /** Stamped output only: the stamp of a line whose first piece is written and whose end is not yet. */
  private readonly openLine: Record<LogStream, string | null> = { out: null, err: null };
  private out: LogFile | null;
  private err: LogFile | null;
  private combined: LogFile | null;
  private current: LogTargets;

  constructor(
    targets: LogTargets,
    private readonly files: LogFiles,
  ) {
    this.current = targets;
    this.out = this.acquire(targets.out);
    this.err = this.acquire(targets.err);
    this.combined = targets.combined ? this.acquire(targets.combined) : null;
  }

  /** Where and how the output is written now. */
  get targets(): Readonly<LogTargets> {
    return this.current;
  }

  /**
   * Takes `next` when it differs (a restart with `--time`, an ecosystem file that changed
   * `out_file`, `log_date_format` or `log_rotate`): what is written from now on follows it, and the
   * files no longer written are given back.
   */
  retarget(next: LogTargets): void {
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    const before = this.paths();
    this.current = next;
    // acquired before the old are released: a file kept is not closed and opened again
    this.out = this.acquire(next.out);
    this.err = this.acquire(next.err);
    this.combined = next.combined ? this.acquire(next.combined) : null;
    for (const path of before) this.files.release(path);
  }

  /** Pipes a child's stream into the files; the stream is always drained. */
  attach(stream: Readable, kind: LogStream): void {
    const handle = (stream as unknown as { _handle?: PipeHandle })._handle;
    let resting = false;
    stream.on('data', (chunk: Buffer) => {
      this.write(kind, chunk);
      // An app that logs line by line, read as eagerly as it writes, costs one read and one
      // callback per line (measured: 388,000 reads for 1,000,000 lines, 1.5 CPU s). Resting a
      // millisecond after a small read lets lines gather: ~4,000 reads, 0.45 CPU s.
      if (chunk.length >= BATCH_BYTES || resting || !handle?.readStop) return;
      resting = true;
      handle.readStop();
      setTimeout(() => {
        resting = false;
        if (!stream.destroyed) handle.readStart();
      }, BATCH_REST_MS);
    });
    stream.on('end', () => this.flushPartial(kind));
  }

  /** Creates the files before the app writes anything (each launch; a no-op once they are open). */
  createFiles(): void {
    this.out?.create();
    this.err?.create();
    this.combined?.create();
  }

  /** Flushes held partial lines and gives the files back. */
  close(): void {
    this.flushPartial('out');
    this.flushPartial('err');
    for (const path of this.paths()) this.files.release(path);
  }

  /** The files held: one per target that is a file. */
  private paths(): string[] {
    const { out, err, combined } = this.current;
    return [out, err, combined].filter((path): path is string => path !== null && path !== '/dev/null');
  }

  /** Why output is not reaching one of this process's files now, or else why one is not rotated ("<path>: <error>"), or null. */
  writeFailure(): string | null {
    for (const file of [this.out, this.err, this.combined]) {
      const failure = file?.failure;
      if (failure) return `${failure.message} (since ${new Date(failure.since).toISOString()}, ${failure.dropped} bytes dropped)`;
    }
    for (const file of [this.out, this.err, this.combined]) {
      const failure = file?.rotationFailure;
      if (failure) return `${failure.message} (since ${new Date(failure.since).toISOString()}; the file grows past max_size)`;
    }
    return null;
  }

  private acquire(path: string): LogFile | null {
    return path === '/dev/null' ? null : this.files.acquire(path, this.current.rotation, this.current.mode);
  }

  /**
   * Only whole lines are written: files shared by several processes never mix two lines. A line
   * held from the last read is completed and written on its own, so the rest of the read is
   * written where it lies, never copied (a flood is mostly 64 KB reads that each end mid-line).
   */
  private write(kind: LogStream, chunk: Buffer): void {
    let rest = chunk;
    const held = this.partial[kind];
    if (held) {
      const first = rest.indexOf(NEWLINE);
      if (first < 0) {
        this.partial[kind] = null;
        this.holdOrEmit(kind, Buffer.concat([held, rest]), true);
        return;
      }
      this.partial[kind] = null;
      this.emit(kind, Buffer.concat([held, rest.subarray(0, first + 1)]));
      rest = rest.subarray(first + 1);
    }
    const end = rest.lastIndexOf(NEWLINE);
    if (end < 0) {
      if (rest.length > 0) this.holdOrEmit(kind, Buffer.from(rest), false);
      return;
    }
    // copy the tail: a subarray would keep the whole chunk alive
    if (end + 1 < rest.length) this.hold(kind, Buffer.from(rest.subarray(end + 1)), false);
    this.emit(kind, rest.subarray(0, end + 1));
  }

  /** Holds `piece` as the line not ended yet; `continuing` when it goes on the line held before. */
  private hold(kind: LogStream, piece: Buffer, continuing: boolean): void {
    if (!continuing) this.partialSince[kind] = Date.now();
    this.partial[kind] = piece;
    this.partialTimer[kind] ??= setTimeout(() => this.writeHeld(kind), PARTIAL_HOLD_MS).unref();
  }

  /** The timer: the line held is written as far as it goes once it has waited PARTIAL_HOLD_MS, else the timer waits for it. */
  private writeHeld(kind: LogStream): void {
    this.partialTimer[kind] = null;
    const held = this.partial[kind];
    if (!held) return;
    const waited = Date.now() - this.partialSince[kind];
    if (waited < PARTIAL_HOLD_MS) {
      this.partialTimer[kind] = setTimeout(() => this.writeHeld(kind), PARTIAL_HOLD_MS - waited).unref();
      return;
    }
    const cut = characterEnd(held);
    if (cut === 0) return;
    this.partial[kind] = cut < held.length ? Buffer.from(held.subarray(cut)) : null;
    this.emit(kind, held.subarray(0, cut));
  }

  /**
   * Holds a piece of a line until its end comes, unless it grew past MAX_PARTIAL_BYTES: then it is
   * written as the start of a line that goes on (cut after a whole UTF-8 character).
   */
  private holdOrEmit(kind: LogStream, piece: Buffer, continuing: boolean): void {
    if (piece.length <= MAX_PARTIAL_BYTES) {
      this.hold(kind, piece, continuing);
      return;
    }
    const cut = characterEnd(piece);
    this.emit(kind, piece.subarray(0, cut));
    if (cut < piece.length) this.hold(kind, Buffer.from(piece.subarray(cut)), true);
  }

  private flushPartial(kind: LogStream): void {
    const held = this.partial[kind];
    if (!held) return;
    this.partial[kind] = null;
    this.emit(kind, Buffer.concat([held, Buffer.from('\n')]));
  }

  private emit(kind: LogStream, lines: Buffer): void {
    const data = this.current.dateFormat === null && !this.current.json ? lines : this.decorate(kind, lines);
    (kind === 'out' ? this.out : this.err)?.write(data);
    this.combined?.write(data);
    this.follower?.(kind, typeof data === 'string' ? data : data.toString('utf8'));
  }

  /**
   * Stamps each line, or wraps it in a JSON object. A line longer than MAX_PARTIAL_BYTES arrives in
   * pieces: the first gets the stamp (or the object's start), the last the end, so it stays one line.
   */
  private decorate(kind: LogStream, lines: Buffer): string {
    const { dateFormat, json, appName, processId } = this.current;
    const continued = this.openLine[kind];
    // a JSON record with no log_date_format is stamped as PM2 stamps it: ISO 8601 in UTC, with ms
    const stamp = continued ?? (json && dateFormat === null ? new Date().toISOString() : formatDate(new Date(), dateFormat ?? DEFAULT_TIME_FORMAT));
    const text = lines.toString('utf8');
    const complete = text.endsWith('\n');
    const segments = (complete ? text.slice(0, -1) : text).split('\n');
    const last = segments.length - 1;
    const head = json ? '{"message":"' : `${stamp}: `;
    const tail = json ? `${escape('\n')}","timestamp":${JSON.stringify(stamp)},"type":"${kind}","process_id":${processId},"app_name":${JSON.stringify(appName)}}\n` : '\n';
    this.openLine[kind] = complete ? null : stamp;
    return segments
      .map((segment, index) => `${index === 0 && continued !== null ? '' : head}${json ? escape(segment) : segment}${index === last && !complete ? '' : tail}`)
      .join('');
  }
}

/** `text` as it reads inside a JSON string. */
function escape(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** Where the last whole UTF-8 character of `buffer` ends (a character cut at the end is left out). */
function characterEnd(buffer: Buffer): number {
  for (let back = 1; back <= Math.min(3, buffer.length); back++) {
    const byte = buffer[buffer.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? buffer.length - back : buffer.length;
  }
  return buffer.length;
}

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
}

/** Called with each block of whole lines written, for live followers (`pmx logs`). */
export type LogListener = (stream: LogStream, text: string) => void;

/** A line longer than this is written in pieces rather than held without bound. */
const MAX_PARTIAL_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

/** Writes a process's output to its files; one sink per supervised process. */
export class LogSink {
  /** Set while someone follows this process's logs live. */
  follower: LogListener | null = null;
  private readonly partial: Record<LogStream, Buffer | null> = { out: null, err: null };
  private readonly out: LogFile | null;
  private readonly err: LogFile | null;
  private readonly combined: LogFile | null;

  constructor(
    private readonly targets: LogTargets,
    private readonly files: LogFiles,
  ) {
    this.out = this.acquire(targets.out);
    this.err = this.acquire(targets.err);
    this.combined = targets.combined ? this.acquire(targets.combined) : null;
  }

  /** Pipes a child's stream into the files; the stream is always drained. */
  attach(stream: Readable, kind: LogStream): void {
    stream.on('data', (chunk: Buffer) => this.write(kind, chunk));
    stream.on('end', () => this.flushPartial(kind));
  }

  /** Flushes held partial lines and gives the files back. */
  close(): void {
    this.flushPartial('out');
    this.flushPartial('err');
    for (const path of [this.targets.out, this.targets.err, this.targets.combined]) {
      if (path && path !== '/dev/null') this.files.release(path);
    }
  }

  private acquire(path: string): LogFile | null {
    return path === '/dev/null' ? null : this.files.acquire(path, this.targets.rotation);
  }

  /** Only whole lines are written: files shared by several processes never mix two lines. */
  private write(kind: LogStream, chunk: Buffer): void {
    const held = this.partial[kind];
    const data = held ? Buffer.concat([held, chunk]) : chunk;
    const end = data.lastIndexOf(NEWLINE);
    if (end < 0 && data.length <= MAX_PARTIAL_BYTES) {
      this.partial[kind] = data;
      return;
    }
    const cut = end < 0 ? data.length : end + 1;
    // copy the tail: a subarray would keep the whole chunk alive
    this.partial[kind] = cut < data.length ? Buffer.from(data.subarray(cut)) : null;
    this.emit(kind, data.subarray(0, cut));
  }

  private flushPartial(kind: LogStream): void {
    const held = this.partial[kind];
    if (!held) return;
    this.partial[kind] = null;
    this.emit(kind, Buffer.concat([held, Buffer.from('\n')]));
  }

  private emit(kind: LogStream, lines: Buffer): void {
    const data = this.targets.dateFormat === null && !this.targets.json ? lines : this.decorate(kind, lines);
    (kind === 'out' ? this.out : this.err)?.write(data);
    this.combined?.write(data);
    this.follower?.(kind, typeof data === 'string' ? data : data.toString('utf8'));
  }

  private decorate(kind: LogStream, lines: Buffer): string {
    const { dateFormat, json, appName, processId } = this.targets;
    const stamp = formatDate(new Date(), dateFormat ?? DEFAULT_TIME_FORMAT);
    const text = lines.toString('utf8');
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    return body
      .split('\n')
      .map((line) =>
        json
          ? JSON.stringify({ message: line + '\n', timestamp: stamp, type: kind, process_id: processId, app_name: appName }) + '\n'
          : `${stamp}: ${line}\n`,
      )
      .join('');
  }
}

// Where one process's stdout and stderr go: its out/err files and the optional combined file,
// raw or line-stamped, without ever blocking the app when a file cannot be written.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { DEFAULT_TIME_FORMAT, formatDate } from './timestamp.js';

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
}

/** Called with each chunk written, for live followers (`pmx logs`). */
export type LogListener = (stream: LogStream, text: string) => void;

/** Writes a process's output to its files; one sink per supervised process. */
export class LogSink {
  /** Open files; null marks a file that failed, whose output is dropped from then on. */
  private readonly files = new Map<string, WriteStream | null>();
  /** Set while someone follows this process's logs live. */
  follower: LogListener | null = null;
  private readonly partial: Record<LogStream, string> = { out: '', err: '' };

  constructor(
    private readonly targets: LogTargets,
    private readonly onError: (message: string) => void,
  ) {}

  /** Pipes a child's stream into the files; the stream is always drained. */
  attach(stream: Readable, kind: LogStream): void {
    stream.on('data', (chunk: Buffer) => this.write(kind, chunk));
    stream.on('end', () => this.flushPartial(kind));
  }

  /** Closes the files so that the next write reopens them (after an external rotation). */
  reopen(): void {
    for (const file of this.files.values()) file?.end();
    this.files.clear();
  }

  close(): void {
    this.flushPartial('out');
    this.flushPartial('err');
    this.reopen();
  }

  private write(kind: LogStream, chunk: Buffer): void {
    const { dateFormat, json } = this.targets;
    if (dateFormat === null && !json) {
      this.emit(kind, chunk);
      return;
    }
    const text = this.partial[kind] + chunk.toString('utf8');
    const end = text.lastIndexOf('\n');
    this.partial[kind] = text.slice(end + 1);
    if (end < 0) return;
    const lines = text.slice(0, end).split('\n');
    this.emit(kind, lines.map((line) => this.decorate(kind, line)).join(''));
  }

  private flushPartial(kind: LogStream): void {
    if (this.partial[kind] === '') return;
    const line = this.partial[kind];
    this.partial[kind] = '';
    this.emit(kind, this.decorate(kind, line));
  }

  private decorate(kind: LogStream, line: string): string {
    const { dateFormat, json, appName, processId } = this.targets;
    const now = new Date();
    if (json) {
      const record: Record<string, unknown> = { message: line + '\n', timestamp: formatDate(now, dateFormat ?? DEFAULT_TIME_FORMAT), type: kind, process_id: processId, app_name: appName };
      return JSON.stringify(record) + '\n';
    }
    return `${formatDate(now, dateFormat ?? DEFAULT_TIME_FORMAT)}: ${line}\n`;
  }

  private emit(kind: LogStream, data: Buffer | string): void {
    this.fileFor(kind === 'out' ? this.targets.out : this.targets.err)?.write(data);
    if (this.targets.combined) this.fileFor(this.targets.combined)?.write(data);
    this.follower?.(kind, typeof data === 'string' ? data : data.toString('utf8'));
  }

  private fileFor(path: string): WriteStream | null {
    if (path === '/dev/null') return null;
    let file = this.files.get(path);
    if (file !== undefined) return file;
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch {
      // createWriteStream reports the failure below
    }
    file = createWriteStream(path, { flags: 'a' });
    file.on('error', (error) => {
      this.onError(`cannot write log file ${path}: ${error.message}`);
      // from now on this file's output is dropped: the app must never block on its logs
      this.files.set(path, null);
    });
    this.files.set(path, file);
    return file;
  }
}

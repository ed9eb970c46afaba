// The agent's open log files, one writer per path however many processes share it (merged
// instances, combined logs), with their scheduled rotations.
import type { Cron } from 'croner';
import { DEFAULT_LOG_MODE, LogFile, type RotationPolicy } from './log-file.js';

interface Entry {
  file: LogFile;
  refs: number;
  job: Cron | null;
}

/** Hands out shared LogFile writers by path; the last release closes the file. */
export class LogFiles {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly onError: (message: string, path: string) => void,
    /** Told when a file that failed is written again. */
    private readonly onRecovered: (message: string, path: string) => void = () => undefined,
  ) {}

  /** The writer of `path`; `mode` applies when the file is created (the first acquirer's). */
  acquire(path: string, policy: RotationPolicy, mode = DEFAULT_LOG_MODE): LogFile {
    const existing = this.entries.get(path);
    if (existing) {
      existing.refs++;
      return existing.file;
    }
    const entry: Entry = { file: new LogFile(path, policy, this.onError, mode, this.onRecovered), refs: 1, job: null };
    this.entries.set(path, entry);
    if (policy.rotate_interval) {
      const expression = policy.rotate_interval;
      void import('croner').then(({ Cron }) => {
        if (this.entries.get(path) === entry) entry.job = new Cron(expression, () => entry.file.rotate());
      });
    }
    return entry.file;
  }

  release(path: string): void {
    const entry = this.entries.get(path);
    if (!entry || --entry.refs > 0) return;
    entry.job?.stop();
    entry.file.close();
    this.entries.delete(path);
  }

  /** Reopens every file (`pmx reloadLogs`, SIGHUP). */
  reopenAll(): number {
    for (const { file } of this.entries.values()) file.reopen();
    return this.entries.size;
  }
}

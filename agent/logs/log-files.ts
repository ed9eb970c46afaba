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
      // a file shared, or kept by a process whose settings changed: the latest rotation applies
      if (existing.file.repolicy(policy)) this.schedule(path, existing, policy);
      return existing.file;
    }
    const entry: Entry = { file: new LogFile(path, policy, this.onError, mode, this.onRecovered), refs: 1, job: null };
    this.entries.set(path, entry);
    this.schedule(path, entry, policy);
    return entry.file;
  }

  /** Rotates `entry` on `policy.rotate_interval` (a cron expression), in place of any schedule it had. */
  private schedule(path: string, entry: Entry, policy: RotationPolicy): void {
    entry.job?.stop();
    entry.job = null;
    if (!policy.rotate_interval) return;
    const expression = policy.rotate_interval;
    void import('croner').then(({ Cron }) => {
      if (this.entries.get(path) !== entry || entry.file.rotatesEvery !== expression) return;
      // a policy that went A, B, A before either import settled: the first A's job is let go
      entry.job?.stop();
      entry.job = new Cron(expression, () => entry.file.rotate());
    });
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

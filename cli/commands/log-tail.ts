// The last lines of a process's out and err logs, and the lines added since, read by polling:
// what `pmx monit` shows of the selected process. Files are followed as `pmx logs` follows them
// (log-follow.ts): across rotations, with a line where something could not be shown.
import { refusalOf } from '../../agent/logs/log-open.js';
import { gapWords } from '../output/log-gaps.js';
import type { LogLine } from '../output/monit-view.js';
import { FollowedLog, type Rotation } from './log-follow.js';

/** How much of a file's end is read for its last lines. */
const BACKLOG_BYTES = 16 * 1024;
/** What a file gives at most in one poll: a view of an app that writes faster lags behind, and says what it missed. */
const READ_BYTES = 4 * 1024 * 1024;

interface Tailed {
  log: FollowedLog;
  stream: 'out' | 'err';
  /** Why the file is not read (log-open.ts), shown once; null while it is read. */
  refused: string | null;
}

/** Follows a set of log files; `poll` appends what they gained to `lines` (at most `keep`). */
export class LogTail {
  readonly lines: LogLine[] = [];
  private readonly files: Tailed[];

  constructor(files: Array<{ file: string; stream: 'out' | 'err'; rotation?: Rotation | null }>, private readonly keep: number) {
    this.files = files.filter(({ file }) => file && file !== '/dev/null').map(({ file, stream, rotation }) => ({ log: new FollowedLog(file, rotation ?? null), stream, refused: null }));
    for (const tailed of this.files) {
      try {
        tailed.log.open({ backlog: BACKLOG_BYTES });
      } catch {
        // not written yet: read from its start once it appears (a refusal is shown by the first poll)
      }
    }
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
    let added = false;
    const push = (text: string): void => {
      this.lines.push({ stream: tailed.stream, text });
      added = true;
    };
    try {
      tailed.log.read({ line: push, gap: (gap) => push(`[PMX] ${gapWords(gap)}`) }, READ_BYTES);
      tailed.refused = null;
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal !== null && refusal !== tailed.refused) push(`[PMX] Not read: ${refusal}`);
      tailed.refused = refusal;
    }
    return added;
  }
}

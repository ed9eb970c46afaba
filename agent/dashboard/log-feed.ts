// The output of one process for the page's log panel: the last lines of its log files, then the
// lines it writes from now on, taken from the log bus and sent in batches so that a chatty app
// cannot flood the browser.
import { followAllOutput } from '../log-bus.js';
import type { LogStream } from '../logs/sink.js';
import type { Registry } from '../registry.js';
import type { SupervisedProcess } from '../process/supervised.js';
import type { EventStream } from './event-stream.js';
import { lastLines } from '../logs/tail.js';

/** Lines of each log file shown when the panel opens. */
const HISTORY_LINES = 100;
/** Live lines are gathered this long before they are sent. */
const BATCH_MS = 200;
/** At most this many lines per batch; the rest are counted as skipped. */
const MAX_BATCH_LINES = 500;

/** One line of output, as the 'lines' event carries it. */
export interface LogLine {
  stream: LogStream;
  text: string;
}

type LineSink = (stream: LogStream, text: string) => void;

/** Sends each watched process's output to the event streams that watch it. */
export class LogFeed {
  /** Who watches each process, by pm_id. */
  private readonly watchers = new Map<number, Set<LineSink>>();
  private stopFollowing: (() => void) | null = null;

  constructor(private readonly registry: Registry) {}

  /** Streams the log of `proc` to `stream` until it closes. */
  add(proc: SupervisedProcess, stream: EventStream): void {
    const { id } = proc;
    stream.send('lines', { lines: history(proc), skipped: 0 });
    const sink = batched(stream);
    const set = this.watchers.get(id) ?? new Set<LineSink>();
    set.add(sink);
    this.watchers.set(id, set);
    this.stopFollowing ??= followAllOutput(this.registry, (from, kind, text) => this.watchers.get(from.id)?.forEach((watch) => watch(kind, text)));
    stream.onClose(() => {
      set.delete(sink);
      if (set.size === 0) this.watchers.delete(id);
      if (this.watchers.size === 0) this.stop();
    });
  }

  /** Gives the processes' log followers back once no page watches. */
  private stop(): void {
    this.stopFollowing?.();
    this.stopFollowing = null;
  }
}

/** The last lines of the process's out and err files, out first; a file refused (log-open.ts) is one err line saying why. */
function history(proc: SupervisedProcess): LogLine[] {
  const { out, err } = proc.logTargets;
  const lines: LogLine[] = [];
  for (const [stream, file] of [['out', out], ['err', err]] as const) {
    if (file === '/dev/null' || (stream === 'err' && file === out)) continue;
    try {
      for (const text of lastLines(file, HISTORY_LINES)) lines.push({ stream, text });
    } catch (error) {
      lines.push({ stream: 'err', text: `[PMX] not shown: ${(error as Error).message}` });
    }
  }
  return lines;
}

/** A sink that gathers lines for BATCH_MS, then sends them as one 'lines' event. */
function batched(stream: EventStream): LineSink {
  let pending: LogLine[] = [];
  let skipped = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    timer = null;
    stream.send('lines', { lines: pending, skipped });
    pending = [];
    skipped = 0;
  };
  return (kind, text) => {
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (const line of lines) {
      if (pending.length < MAX_BATCH_LINES) pending.push({ stream: kind, text: line });
      else skipped++;
    }
    timer ??= setTimeout(flush, BATCH_MS);
  };
}

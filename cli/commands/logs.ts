// `pmx logs`: the last lines of each selected process's log files, then new lines as they come;
// --grep and --since choose which (log-filter.ts says how a line is dated).
import { statSync, watch, type FSWatcher } from 'node:fs';
import { refusalOf } from '../../agent/logs/log-open.js';
import { dirname } from 'node:path';
import { formatDate } from '../../agent/logs/timestamp.js';
import type { ProcessDescription } from '../../agent/protocol/types.js';
import { CliError } from '../client/errors.js';
import { gapWords } from '../output/log-gaps.js';
import { type CommandContext, withAgent } from './context.js';
import { readBacklog } from './log-backlog.js';
import { FollowedLog, type LogReader } from './log-follow.js';
import { paced } from './log-pace.js';
import { daterFor, type LogFilter, matchesGrep, parseLogFilter } from './log-filter.js';
import { selectedAmong, selectorFor } from './targets.js';
import { type LogPacket, type ProcessEventPacket, unpack } from '../api/bus.js';

/** Lines printed first from each file without --lines (PM2's default), unless --since asks for all since then. */
const DEFAULT_LINES = 15;
/** What a followed file gives at most in one turn, before the output has taken it (log-pace.ts). */
const READ_BYTES = 1024 * 1024;

interface Followed {
  file: string;
  prefix: string;
  stream: 'out' | 'err';
  proc: ProcessDescription;
  /** The file read, across its rotations. */
  log: FollowedLog;
  /** Why the file at the path is not read (log-open.ts), said once; null while it is read. */
  refused: string | null;
  /** New lines are read from the file (else they come from the bus, or there are none to read). */
  live: boolean;
}

/** Flags of `pmx logs`, as commander gives them. */
export interface LogFlags {
  /** Absent: 15, or every line since then with --since. */
  lines?: string;
  grep?: string;
  since?: string;
  out?: boolean;
  err?: boolean;
  raw?: boolean;
  nostream?: boolean;
  json?: boolean;
  timestamp?: string | boolean;
  highlight?: string | boolean;
}

/** `pmx logs [target]`. */
export async function logs(ctx: CommandContext, target: string | undefined, flags: LogFlags): Promise<void> {
  const filter = parseLogFilter(flags);
  const lines = lineCount(flags.lines, filter);
  const all = await withAgent(ctx, (agent) => agent.call('list', {}));
  const procs = select(all, target);
  // as PM2: nothing to show yet is no error; a stream shows the target's lines once it starts
  if (target && procs.length === 0) ctx.err.write(`[PMX][WARN] no process matches '${target}'${flags.nostream ? '' : ' yet: its lines are shown once one starts'}\n`);
  if (flags.json && !flags.nostream) return jsonStream(ctx, target, procs);
  const files: Followed[] = [];
  /**
   * Processes whose new lines come from the agent's bus, by `<id>:<stream>`: those whose output has
   * no file of its own to follow (/dev/null, or a file other processes write too, whose lines would
   * all be shown under one of them), labelled with the process that wrote each line.
   */
  const fromBus = new Map<string, Followed>();
  const plain = !flags.raw && !flags.json;
  const wanted = (stream: 'out' | 'err'): boolean => !(stream === 'out' ? flags.err : flags.out && !flags.err); // --err wins over --out, as in PM2
  for (const proc of procs) {
    // PM2's prefixes: `id|name` cut or padded to 10 columns for the last lines, padded to its length + 1 for new ones
    const label = `${proc.pm_id}|${proc.name}`;
    const prefix = plain ? `${label.padEnd(10).slice(0, 10)} | ` : '';
    for (const stream of ['out', 'err'] as const) {
      if (!wanted(stream)) continue;
      const own = hasOwnFile(proc, stream, all);
      if (!own) fromBus.set(`${proc.pm_id}:${stream}`, unread(proc, stream, prefix));
      // a file several processes share (merge_logs, cluster instances given one -o): its last lines are shown once, under the first
      if (logPath(proc, stream) !== '/dev/null' && !files.some((followed) => followed.file === logPath(proc, stream))) files.push(follow(proc, stream, prefix, own));
    }
  }
  const print = printer(ctx, flags);
  const which = backlogWords(lines, filter);
  // --raw keeps PM2's headers (on stdout) and drops only the prefixes; --json has neither
  const headed = !flags.json;
  if (headed && lines > 0) {
    const what = target && target !== 'all' ? target : 'all';
    ctx.out.write(`[TAILING] Tailing ${which} for [${what}] process${what === 'all' ? 'es' : ''} (change the value with --lines option)\n`);
    // as PM2 shows its own log first for all processes: the agent's (not with --raw, as PM2 leaves pm2.log out then)
    if ((!target || target === 'all') && !flags.raw && !flags.out && !flags.err && !filter.grep && !filter.since) {
      const file = ctx.home.logFile;
      printBacklog(ctx, file, readBacklog(file, lines, filter, null).lines, which, (line) => ctx.out.write(`${plain ? `${'PMX'.padEnd(10)} | ` : ''}${line}\n`));
    }
  }
  // oldest written first, as PM2 orders them; a file not written yet is left out
  const written = files.map((f) => ({ f, mtime: mtimeOf(f.file) })).filter(({ mtime }) => mtime !== null);
  for (const { f: file } of lines > 0 ? written.sort((a, b) => a.mtime! - b.mtime!) : []) {
    const backlog = readBacklog(file.file, lines, filter, daterFor(file.proc), { dateFormat: file.proc.pm2_env.log_rotate?.date_format ?? null, until: file.log.position });
    // a line of the backlog is shown with the time it was written when the line says it (--time, a
    // log_date_format), and with none otherwise: never the time it is printed at
    const dater = flags.timestamp || flags.json ? daterFor(file.proc) : null;
    const written = (line: string): Date | null => dater?.date(line) ?? null;
    if (headed) printBacklog(ctx, file.file, backlog.lines, which, (line) => print(file, line, written(line)));
    else for (const line of backlog.lines) print(file, line, written(line));
    if (backlog.undated === null) ctx.err.write(`[PMX][WARN] --since: the lines of ${file.file} carry no time, so none is shown (start ${file.proc.name} with --time or a log_date_format to date its lines)\n`);
    else if (backlog.undated > 0) ctx.err.write(`[PMX][WARN] --since: ${backlog.undated} line${backlog.undated === 1 ? '' : 's'} of ${file.file} without a time may be older than ${filter.since!.toISOString()}; left out\n`);
  }
  if (flags.nostream) return;
  const streamPrefix = (proc: ProcessDescription): string => (plain ? `${`${proc.pm_id}|${proc.name}`.padEnd(Math.max(3, proc.name.length + String(proc.pm_id).length + 2))} | ` : '');
  for (const file of [...files, ...fromBus.values()]) file.prefix = streamPrefix(file.proc);
  // watch the directories, not the files: a rotated file is replaced by a new one at the path
  const onNew = following(print, filter);
  const reader = (file: Followed): LogReader => ({ line: (line) => onNew(file, line), gap: (gap) => ctx.err.write(`[PMX][WARN] ${gapWords(gap)}\n`) });
  const pace = paced([ctx.out, ctx.err], () => files.reduce((more, file) => pump(file, reader(file)) || more, false));
  const watchers = new Map<string, FSWatcher>();
  const watchDirectories = (): void => {
    for (const dir of new Set(files.filter((f) => f.live).map((f) => dirname(f.file)))) {
      if (watchers.has(dir)) continue;
      try {
        watchers.set(dir, watch(dir, pace.ask));
      } catch {
        // a log directory that does not exist yet: looked for again at the next process event
      }
    }
  };
  watchDirectories();
  const since = Date.now();
  // processes that appear while streaming (a start, a scale up) are followed too, as PM2's stream
  // shows them: each process event asks the agent for the list again
  const added = (now: ProcessDescription[]): void => {
    // a file that became shared (a scale up of merged instances): its lines come from the bus now, each under its writer
    for (const followed of files) {
      if (!followed.live || hasOwnFile(followed.proc, followed.stream, now)) continue;
      followed.live = false;
      followed.log.close();
      fromBus.set(`${followed.proc.pm_id}:${followed.stream}`, unread(followed.proc, followed.stream, streamPrefix(followed.proc)));
    }
    for (const proc of select(now, target)) {
      for (const stream of ['out', 'err'] as const) {
        if (!wanted(stream)) continue;
        const key = `${proc.pm_id}:${stream}`;
        if (!hasOwnFile(proc, stream, now)) {
          if (!fromBus.has(key)) fromBus.set(key, unread(proc, stream, streamPrefix(proc)));
          continue;
        }
        if (files.some((followed) => followed.file === logPath(proc, stream))) continue;
        // a file made since this stream began is read from its start (its process is new), an older one from its end
        const fresh = follow(proc, stream, streamPrefix(proc), true, since);
        files.push(fresh);
        pace.ask();
      }
    }
    watchDirectories();
  };
  await withAgent(ctx, async (agent) => {
    let asked: NodeJS.Timeout | null = null;
    await agent
      .subscribe((pushed, data) => {
        if (pushed === 'log:out' || pushed === 'log:err') {
          const { lines, process: writer } = data as { lines: string[]; process: { pm_id: number } };
          const followed = fromBus.get(`${writer.pm_id}:${pushed.slice(4)}`);
          if (followed) for (const line of lines) onNew(followed, line.replace(/\r?\n$/, ''));
          return;
        }
        if (pushed !== 'process:event' || asked) return;
        asked = setTimeout(() => {
          asked = null;
          agent.call('list', {}).then(added, () => undefined);
        }, 50);
      })
      // no bus (an agent that went away): the processes known now are followed all the same
      .catch(() => undefined);
    await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    if (asked) clearTimeout(asked);
  });
  pace.stop();
  for (const watcher of watchers.values()) watcher.close();
}

/**
 * `logs --json` as PM2 streams it: from the agent's bus, new lines only, one JSON object a line:
 * each line of the target's processes (`message` without its newline, `type` out or err), and a
 * `process_event` for every process (PM2 does not filter those), until Ctrl-C.
 */
async function jsonStream(ctx: CommandContext, target: string | undefined, procs: ProcessDescription[]): Promise<void> {
  const ids = new Set(procs.map((proc) => proc.pm_id));
  const shown = (process: { name: string; pm_id: number }): boolean => !target || target === 'all' || ids.has(process.pm_id) || process.name === target;
  const write = (record: object): boolean => ctx.out.write(JSON.stringify(record) + '\n');
  await withAgent(ctx, async (agent) => {
    await agent.subscribe((pushed, data) =>
      unpack(pushed, data, (event, packet) => {
        if (event === 'process:event') {
          const { event: status, process, at } = packet as ProcessEventPacket;
          write({ timestamp: new Date(at).toISOString(), type: 'process_event', status, app_name: process.name });
        } else if (event === 'log:out' || event === 'log:err') {
          const { data: line, process, at } = packet as LogPacket;
          if (shown(process)) write({ message: line.replace(/(\r\n|\n|\r)/gm, ''), timestamp: new Date(at).toISOString(), type: event.slice(4), process_id: process.pm_id, app_name: process.name });
        }
      }),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      agent.onClose(resolve);
    });
  });
}

// --lines as given; without it PM2's 15, or every line since then with --since
function lineCount(given: string | undefined, filter: LogFilter): number {
  if (given === undefined) return filter.since ? Infinity : DEFAULT_LINES;
  const lines = /^\d+$/.test(given.trim()) ? Number(given) : NaN;
  if (!Number.isInteger(lines)) throw new CliError(`--lines must be a whole number, got '${given}'`, { code: 'BAD_ARGUMENT' });
  return lines;
}

// `last 15 lines`, `lines since 2026-12-05T10:00:00.000Z matching /ERR/`, ...
function backlogWords(lines: number, filter: LogFilter): string {
  const since = filter.since ? ` since ${filter.since.toISOString()}` : '';
  const grep = filter.grep ? ` matching ${String(filter.grep)}` : '';
  return `${lines === Infinity ? 'lines' : `last ${lines} lines`}${since}${grep}`;
}

// New lines as they are read pass --grep, and --since by their stamp, or else by now: they were just written.
function following(print: Print, filter: LogFilter): Print {
  if (!filter.grep && !filter.since) return print;
  const daters = new Map<ProcessDescription, ReturnType<typeof daterFor>>();
  return (file, line) => {
    if (!matchesGrep(filter, line)) return;
    if (filter.since) {
      if (!daters.has(file.proc)) daters.set(file.proc, daterFor(file.proc));
      const dater = daters.get(file.proc);
      const date = dater?.date(line) ?? null;
      const at = date ? date.getTime() + dater!.precisionMs - 1 : Date.now();
      if (at < filter.since.getTime()) return;
    }
    print(file, line);
  };
}

/** The processes `target` names, as stop and describe select them (id, name or script, namespace, /regex/, all). */
function select(all: ProcessDescription[], target: string | undefined): ProcessDescription[] {
  if (!target) return all;
  const selector = selectorFor(target);
  return selectedAmong(all, selector);
}

/** One file's last lines as PM2 prints them: its path, the lines, and a blank line after any. */
function printBacklog(ctx: CommandContext, file: string, lines: string[], which: string, show: (line: string) => void): void {
  if (mtimeOf(file) === null) return;
  ctx.out.write(`${file} ${which}:\n`);
  for (const line of lines) show(line);
  if (lines.length > 0) ctx.out.write('\n');
}

function mtimeOf(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

function logPath(proc: ProcessDescription, stream: 'out' | 'err'): string {
  return stream === 'out' ? proc.pm2_env.pm_out_log_path : proc.pm2_env.pm_err_log_path;
}

/**
 * Whether `proc` writes its `stream` to a file of its own: not /dev/null, nor a file another
 * process of `all` writes too (directly or as a combined log), nor its own combined log.
 */
function hasOwnFile(proc: ProcessDescription, stream: 'out' | 'err', all: ProcessDescription[]): boolean {
  const file = logPath(proc, stream);
  if (file === '/dev/null' || proc.pm2_env.pm_log_path === file) return false;
  const writes = (other: ProcessDescription): boolean => [other.pm2_env.pm_out_log_path, other.pm2_env.pm_err_log_path, other.pm2_env.pm_log_path].includes(file);
  return !all.some((other) => other.pm_id !== proc.pm_id && writes(other));
}

/**
 * `proc`'s `stream` file, opened where it ends now (or at its start when made at or after
 * `bornSince`); `live`: its new lines are read from it (else they come from the bus, and the file
 * is read for its last lines only).
 */
function follow(proc: ProcessDescription, stream: 'out' | 'err', prefix: string, live: boolean, bornSince = Infinity): Followed {
  const file = logPath(proc, stream);
  const log = new FollowedLog(file, proc.pm2_env.log_rotate);
  let refused: string | null = null;
  if (live) {
    try {
      log.open({ bornSince });
    } catch (error) {
      // not written yet: followed from its start once it appears; a refused file is said, never read
      refused = sayRefused(file, null, error);
    }
  }
  return { file, prefix, stream, proc, log, refused, live };
}

/** A process's stream whose lines come from the bus: no file is read for it. */
function unread(proc: ProcessDescription, stream: 'out' | 'err', prefix: string): Followed {
  const file = logPath(proc, stream);
  return { file, prefix, stream, proc, log: new FollowedLog(file, null), refused: null, live: false };
}

/** Prints a line of `file`; `at`: when it was written (a new line: now), null when nobody knows. */
type Print = (file: Followed, line: string, at?: Date | null) => void;

/** How each line is shown: prefixed, raw, as JSON, with a display timestamp, highlighted. */
function printer(ctx: CommandContext, flags: LogFlags): Print {
  return (file, line, at = new Date()) => {
    if (flags.json) {
      ctx.out.write(JSON.stringify({ message: line, timestamp: at ? at.toISOString() : null, type: file.stream, process_id: file.proc.pm_id, app_name: file.proc.name }) + '\n');
      return;
    }
    // PM2's default display format (not the log files' --time one)
    const stamp = flags.timestamp && at ? `${formatDate(at, typeof flags.timestamp === 'string' ? flags.timestamp : 'YYYY-MM-DD-HH:mm:ss')} ` : '';
    const text = flags.highlight && ctx.color ? line.split(String(flags.highlight)).join(`\u001b[1;33m${String(flags.highlight)}\u001b[0m`) : line;
    // as PM2's: with --raw an app's stderr lines go to stderr, so that 2>/dev/null keeps its stdout
    (flags.raw && file.stream === 'err' ? ctx.err : ctx.out).write(stamp + file.prefix + text + '\n');
  };
}

/**
 * Shows what `followed` gained, READ_BYTES at most: across a rotation, the rest of the old file,
 * the rotated files after it, the new one; a gap is said. True when more is waiting.
 */
function pump(followed: Followed, reader: LogReader): boolean {
  if (!followed.live) return false;
  try {
    const more = followed.log.read(reader, READ_BYTES);
    followed.refused = null;
    return more;
  } catch (error) {
    followed.refused = sayRefused(followed.file, followed.refused, error);
    return false;
  }
}

/**
 * Says on stderr (once while it lasts) that `file` is not read, when `error` is a refusal of
 * log-open.ts (a link or file of another user, a FIFO, a hard link); returns that refusal, or null.
 */
function sayRefused(file: string, said: string | null, error: unknown): string | null {
  const refusal = refusalOf(error);
  if (refusal !== null && refusal !== said) process.stderr.write(`[PMX][WARN] Not read: ${refusal}\n`);
  return refusal;
}

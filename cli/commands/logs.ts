// `pmx logs`: the last lines of each selected process's log files, then new lines as they come.
import { closeSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import type { ProcessDescription } from '../../agent/protocol/types.js';
import type { LogFlags } from '../main.js';
import { CliError } from '../client/errors.js';
import { type CommandContext, withAgent } from './context.js';

interface Followed {
  file: string;
  prefix: string;
  offset: number;
  partial: string;
}

/** `pmx logs [target]`. */
export async function logs(ctx: CommandContext, target: string | undefined, flags: LogFlags): Promise<void> {
  const all = await withAgent(ctx, (agent) => agent.call('list', {}));
  const procs = select(all, target);
  if (target && procs.length === 0) throw new CliError('NOT_FOUND', `no process matches '${target}'`, "run 'pmx ls' to see the processes");
  const lines = Number.parseInt(flags.lines, 10);
  if (!Number.isInteger(lines) || lines < 0) throw new CliError('BAD_ARGUMENT', `--lines must be a whole number, got '${flags.lines}'`);
  const files: Followed[] = [];
  for (const proc of procs) {
    const label = `${proc.pm_id}|${proc.name}`;
    if (!flags.err) files.push(follow(proc.pm2_env.pm_out_log_path, flags.raw ? '' : `${label} | `));
    if (!flags.out) files.push(follow(proc.pm2_env.pm_err_log_path, flags.raw ? '' : `${label} | `));
  }
  for (const file of files) {
    if (!flags.raw) ctx.out.write(`${file.file} last ${lines} lines:\n`);
    for (const line of lastLines(file.file, lines)) ctx.out.write(file.prefix + line + '\n');
  }
  if (flags.nostream) return;
  const watchers: FSWatcher[] = [];
  for (const file of files) {
    try {
      watchers.push(watch(file.file, () => pump(ctx, file)));
    } catch {
      // a log that does not exist yet: nothing to follow until the app writes
    }
  }
  await new Promise<void>((resolve) => process.once('SIGINT', resolve));
  for (const watcher of watchers) watcher.close();
}

function select(all: ProcessDescription[], target: string | undefined): ProcessDescription[] {
  if (!target || target === 'all') return all;
  if (/^\d+$/.test(target)) return all.filter((proc) => proc.pm_id === Number(target));
  const byName = all.filter((proc) => proc.name === target);
  return byName.length > 0 ? byName : all.filter((proc) => proc.pm2_env.namespace === target);
}

function follow(file: string, prefix: string): Followed {
  let offset = 0;
  try {
    offset = statSync(file).size;
  } catch {
    // not written yet
  }
  return { file, prefix, offset, partial: '' };
}

function pump(ctx: CommandContext, followed: Followed): void {
  let size: number;
  try {
    size = statSync(followed.file).size;
  } catch {
    return;
  }
  if (size < followed.offset) followed.offset = 0; // flushed or rotated
  if (size === followed.offset) return;
  const fd = openSync(followed.file, 'r');
  try {
    const buffer = Buffer.alloc(size - followed.offset);
    const read = readSync(fd, buffer, 0, buffer.length, followed.offset);
    followed.offset += read;
    const text = followed.partial + buffer.subarray(0, read).toString('utf8');
    const parts = text.split('\n');
    followed.partial = parts.pop() ?? '';
    for (const line of parts) ctx.out.write(followed.prefix + line + '\n');
  } finally {
    closeSync(fd);
  }
}

/** The last `count` lines of a file, reading only its end. */
export function lastLines(file: string, count: number): string[] {
  if (count === 0) return [];
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = statSync(file).size;
    let start = size;
    let text = '';
    while (start > 0 && text.split('\n').length <= count + 1) {
      const length = Math.min(64 * 1024, start);
      start -= length;
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, start);
      text = buffer.toString('utf8') + text;
    }
    const lines = text.replace(/\n$/, '').split('\n');
    return text === '' ? [] : lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}

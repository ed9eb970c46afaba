// The event bus of the programmatic API (PM2's launchBus): `process:event` packets when a process
// changes status, and `log:out` / `log:err` packets for each line an app writes, read from the
// agent's process list and the apps' log files, as PM2's bus delivers them.
import { EventEmitter } from 'node:events';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { ProcessDescription } from '../../agent/protocol/types.js';
import { toPm2Shape } from '../output/pm2-shape.js';
import type { AgentConnection } from '../client/connection.js';
import { splitChunk } from '../shared/line-splitter.js';

/** The process a bus packet is about, as PM2 describes it: its `pm2_env` keys (status, restart_time, exit_code, ...). */
export interface BusProcess {
  name: string;
  pm_id: number;
  namespace: string;
  [key: string]: unknown;
}

/** `process:event`: `event` is PM2's ('online', 'exit', 'stop', 'restart', 'delete', ...) and `status` the new status. */
export interface ProcessEventPacket {
  event: string;
  status: string;
  process: BusProcess;
  at: number;
}

/** `log:out` / `log:err`: one line the app wrote, with its newline. */
export interface LogPacket {
  data: string;
  process: BusProcess;
  at: number;
}

/** The bus: an EventEmitter of 'process:event', 'log:out' and 'log:err'; close() stops it. */
export interface Bus extends EventEmitter {
  close(): void;
}

/** What the bus last saw of a process. */
interface Seen {
  status: string;
  restarts: number;
  /** The restart count when it was last seen online: a higher one online again is a restart. */
  onlineRestarts: number;
  /** The restart count whose 'exit' was told: one exit per ended process. */
  exitTold: number;
  process: BusProcess;
}

/**
 * PM2's event names for what changed since `before`, in PM2's order: a process that ended first
 * ('exit', what a crash notifier listens for), then 'online' and 'restart' once the new one runs.
 */
function eventsOf(before: Seen, status: string, restarts: number): string[] {
  const events: string[] = [];
  const ended = restarts > before.exitTold && restarts !== before.restarts;
  if (ended || ((status === 'stopped' || status === 'waiting restart' || status === 'errored') && before.exitTold < restarts + 1 && before.status !== status)) {
    events.push('exit');
    before.exitTold = ended ? restarts : restarts + 1;
  }
  if (status === 'online' && (before.status !== 'online' || restarts !== before.onlineRestarts)) {
    events.push('online');
    if (restarts !== before.onlineRestarts) events.push('restart');
    before.onlineRestarts = restarts;
  }
  if (status === 'stopped' && before.status === 'stopping') events.push('stop');
  if (status === 'errored' && before.status !== 'errored') events.push('errored');
  return events;
}

interface Tail {
  file: string;
  offset: number;
  partial: string;
}

/** Starts a bus that follows the agent every `intervalMs`; `list` is its source of the process list. */
export function startBus(list: () => Promise<ProcessDescription[]>, intervalMs = 200): Bus {
  const bus = new EventEmitter() as Bus;
  const seen = new Map<number, Seen>();
  const tails = new Map<string, Tail>();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const about = (proc: ProcessDescription): BusProcess => ({ ...toPm2Shape(proc).pm2_env, name: proc.name, pm_id: proc.pm_id, namespace: proc.pm2_env.namespace });
  const brief = (proc: ProcessDescription): BusProcess => ({ name: proc.name, pm_id: proc.pm_id, namespace: proc.pm2_env.namespace });

  const follow = (proc: ProcessDescription, file: string, kind: 'log:out' | 'log:err', first: boolean): void => {
    if (!file || file === '/dev/null') return;
    const key = `${proc.pm_id}:${kind}`;
    let tail = tails.get(key);
    if (!tail || tail.file !== file) {
      // lines written before the bus started are not events; a process that came since is read
      // from its file's start, unless that file held an earlier process's lines (made before it)
      tail = { file, offset: first || madeBefore(file, proc.pm2_env.created_at) ? sizeOf(file) : 0, partial: '' };
      tails.set(key, tail);
    }
    if (sizeOf(file) < tail.offset) tail.offset = 0; // flushed or rotated
    const text = readFrom(tail);
    if (text === '') return;
    const { lines, partial } = splitChunk(tail.partial, text);
    tail.partial = partial;
    for (const line of lines) bus.emit(kind, { data: `${line}\n`, process: brief(proc), at: Date.now() } satisfies LogPacket);
  };

  const tick = async (first: boolean): Promise<void> => {
    let procs: ProcessDescription[];
    try {
      procs = await list();
    } catch (error) {
      if (!stopped) bus.emit('error', error);
      return;
    }
    if (stopped) return;
    const present = new Set(procs.map((proc) => proc.pm_id));
    for (const proc of procs) {
      const before = seen.get(proc.pm_id);
      const { status, restart_time: restarts } = proc.pm2_env;
      const events = before === undefined ? (first ? [] : [status === 'online' ? 'online' : 'start']) : eventsOf(before, status, restarts);
      seen.set(proc.pm_id, {
        status,
        restarts,
        onlineRestarts: before?.onlineRestarts ?? restarts,
        exitTold: before?.exitTold ?? restarts,
        process: brief(proc),
      });
      if (events.length > 0) {
        const process = about(proc);
        for (const event of events) bus.emit('process:event', { event, status, process, at: Date.now() } satisfies ProcessEventPacket);
      }
      follow(proc, proc.pm2_env.pm_out_log_path, 'log:out', first);
      follow(proc, proc.pm2_env.pm_err_log_path, 'log:err', first);
    }
    for (const [id, last] of seen) {
      if (present.has(id)) continue;
      seen.delete(id);
      tails.delete(`${id}:log:out`);
      tails.delete(`${id}:log:err`);
      bus.emit('process:event', { event: 'delete', status: 'deleted', process: last.process, at: Date.now() } satisfies ProcessEventPacket);
    }
  };

  const loop = (first: boolean): void => {
    void tick(first).then(() => {
      if (!stopped) timer = setTimeout(() => loop(false), intervalMs);
    });
  };
  loop(true);
  bus.close = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
  return bus;
}

/** A bus on an open connection. */
export function busOn(connection: AgentConnection, intervalMs?: number): Bus {
  return startBus(() => connection.call('list', {}), intervalMs);
}

/** Whether `file` was made before the process created at `createdAt` (ms): it holds an earlier process's lines. */
function madeBefore(file: string, createdAt: number): boolean {
  try {
    return statSync(file).birthtimeMs < createdAt - 1000;
  } catch {
    return false;
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(tail: Tail): string {
  let fd: number;
  try {
    fd = openSync(tail.file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= tail.offset) return '';
    const buffer = Buffer.alloc(Math.min(size - tail.offset, 1 << 20));
    const read = readSync(fd, buffer, 0, buffer.length, tail.offset);
    tail.offset += read;
    return buffer.toString('utf8', 0, read);
  } finally {
    closeSync(fd);
  }
}

// The event bus of the programmatic API (PM2's launchBus): `process:event` packets when a process
// changes status, and `log:out` / `log:err` packets for each line an app writes, read from the
// agent's process list and the apps' log files, as PM2's bus delivers them.
import { EventEmitter } from 'node:events';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { ProcessDescription } from '../../agent/protocol/types.js';
import type { AgentConnection } from '../client/connection.js';
import { splitChunk } from '../shared/line-splitter.js';

/** The process a bus packet is about, as PM2 describes it. */
export interface BusProcess {
  name: string;
  pm_id: number;
  namespace: string;
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

/** PM2's event name for a change of status. */
function eventOf(status: string, previous: string | undefined, restarts: number, previousRestarts: number | undefined): string {
  if (previous === undefined) return status === 'online' ? 'online' : 'start';
  if (status === 'online' && restarts !== previousRestarts) return 'restart';
  if (status === 'stopped' && previous === 'stopping') return 'stop';
  if (status === 'errored') return 'errored';
  if (status === 'stopped' || status === 'waiting restart') return 'exit';
  return status;
}

interface Tail {
  file: string;
  offset: number;
  partial: string;
}

/** Starts a bus that follows the agent every `intervalMs`; `list` is its source of the process list. */
export function startBus(list: () => Promise<ProcessDescription[]>, intervalMs = 200): Bus {
  const bus = new EventEmitter() as Bus;
  const seen = new Map<number, { status: string; restarts: number }>();
  const tails = new Map<string, Tail>();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const about = (proc: ProcessDescription): BusProcess => ({ name: proc.name, pm_id: proc.pm_id, namespace: proc.pm2_env.namespace });

  const follow = (proc: ProcessDescription, file: string, kind: 'log:out' | 'log:err', first: boolean): void => {
    if (!file || file === '/dev/null') return;
    const key = `${proc.pm_id}:${kind}`;
    let tail = tails.get(key);
    if (!tail || tail.file !== file) {
      // lines written before the bus started are not events
      tail = { file, offset: first ? sizeOf(file) : 0, partial: '' };
      tails.set(key, tail);
    }
    if (sizeOf(file) < tail.offset) tail.offset = 0; // flushed or rotated
    const text = readFrom(tail);
    if (text === '') return;
    const { lines, partial } = splitChunk(tail.partial, text);
    tail.partial = partial;
    for (const line of lines) bus.emit(kind, { data: `${line}\n`, process: about(proc), at: Date.now() } satisfies LogPacket);
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
      const now = { status: proc.pm2_env.status, restarts: proc.pm2_env.restart_time };
      seen.set(proc.pm_id, now);
      if (!first && (before?.status !== now.status || before.restarts !== now.restarts)) {
        bus.emit('process:event', { event: eventOf(now.status, before?.status, now.restarts, before?.restarts), status: now.status, process: about(proc), at: Date.now() } satisfies ProcessEventPacket);
      }
      follow(proc, proc.pm2_env.pm_out_log_path, 'log:out', first || !before);
      follow(proc, proc.pm2_env.pm_err_log_path, 'log:err', first || !before);
    }
    for (const [id] of seen) {
      if (present.has(id)) continue;
      seen.delete(id);
      tails.delete(`${id}:log:out`);
      tails.delete(`${id}:log:err`);
      bus.emit('process:event', { event: 'delete', status: 'deleted', process: { name: '', pm_id: id, namespace: '' }, at: Date.now() } satisfies ProcessEventPacket);
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

// Finding and signalling every process of an app's tree through /proc, so that an app's own
// children never outlive it.
import { readdirSync, readFileSync } from 'node:fs';

/** One row of the process table. */
export interface ProcessRow {
  ppid: number;
  pgid: number;
  /** CPU time used so far, in clock ticks. */
  ticks: number;
  /** Start time since boot in clock ticks: with the pid, it names a process uniquely. */
  startTicks: number;
}

/** pid -> row, for every process on the machine, read from /proc. */
export function readProcessTable(): Map<number, ProcessRow> {
  const table = new Map<number, ProcessRow>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat) table.set(pid, stat);
  }
  return table;
}

/**
 * The pids of `root` and of its descendants and process group. With `rootIsOurs` false (the root
 * was reaped and its pid may name another process now) only its process group is followed.
 */
export function processTree(root: number, table: Map<number, ProcessRow> = readProcessTable(), rootIsOurs = true): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of table) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const found = new Set<number>();
  const queue = rootIsOurs ? [root] : [];
  for (const [pid, { pgid }] of table) if (pgid === root && pid !== root) queue.push(pid);
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (found.has(pid) || !table.has(pid) || (!rootIsOurs && pid === root)) continue;
    found.add(pid);
    for (const child of children.get(pid) ?? []) queue.push(child);
  }
  return [...found];
}

/** Sends `signal` to each pid that still exists; returns how many were signalled. */
export function signalPids(pids: Iterable<number>, signal: NodeJS.Signals): number {
  let sent = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
      sent++;
    } catch {
      // already gone
    }
  }
  return sent;
}

/** Fields of /proc/<pid>/stat that pmx uses, or null when the process is gone. */
export function readStat(pid: number): ProcessRow | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // the command name (field 2) may hold spaces and parentheses: fields start after the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    ticks: Number(fields[11]) + Number(fields[12]),
    startTicks: Number(fields[19]),
  };
}

/** Resident memory of a process in bytes, or 0 when it is gone. */
export function readRss(pid: number): number {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'latin1');
    return Number(statm.split(' ')[1]) * 4096;
  } catch {
    return 0;
  }
}

/** True when a process with this pid exists (and may be signalled by us). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Finding and signalling every process of an app's tree through /proc, so that an app's own
// children never outlive it.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';

/** One row of the process table. */
export interface ProcessRow {
  /** R, S, D, Z (a zombie: exited, not yet reaped), ... */
  state: string;
  ppid: number;
  pgid: number;
  /** CPU time used so far, in clock ticks. */
  ticks: number;
  /** Start time since boot in clock ticks: with the pid, it names a process uniquely. */
  startTicks: number;
  /** Resident memory in bytes. */
  rss: number;
}

/** Children of each pid and members of each process group, for walking many trees of one table. */
export interface TableIndex {
  children: Map<number, number[]>;
  groups: Map<number, number[]>;
}

/** Indexes `table` once, so that finding each app's tree does not go through the whole table again. */
export function indexTable(table: Map<number, ProcessRow>): TableIndex {
  const children = new Map<number, number[]>();
  const groups = new Map<number, number[]>();
  const push = (map: Map<number, number[]>, key: number, pid: number): void => {
    const list = map.get(key);
    if (list) list.push(pid);
    else map.set(key, [pid]);
  };
  for (const [pid, { ppid, pgid }] of table) {
    push(children, ppid, pid);
    push(groups, pgid, pid);
  }
  return { children, groups };
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

/** A read of the process table, indexed, and the moment it began in clock ticks since boot. */
export interface TableSnapshot {
  table: Map<number, ProcessRow>;
  index: TableIndex;
  ticks: number;
}

let shared: TableSnapshot | null = null;

/**
 * The process table as read once in this turn of the event loop: a `delete all` of 1,000 apps
 * stops them all in one turn, and reading the whole table for each (a few thousand /proc files
 * each time) made it quadratic. A process that started after the read (its start time at or
 * after the read's, `newerThan`) is not in it: the table is read again.
 */
export function sharedTable(newerThan = -1): TableSnapshot {
  if (shared === null || newerThan >= shared.ticks) {
    const ticks = uptimeTicks();
    const table = readProcessTable();
    if (shared === null) setImmediate(() => (shared = null));
    shared = { table, index: indexTable(table), ticks };
  }
  return shared;
}

/** Clock ticks since boot (the unit of a process's start time), rounded down. */
function uptimeTicks(): number {
  const text = readProcFile('/proc/uptime');
  return text ? Math.floor(Number(text.split(' ')[0]) * TICKS_PER_SECOND) : Number.MAX_SAFE_INTEGER;
}

/** USER_HZ: the unit of /proc's times, 100 on every Linux that pmx runs on. */
export const TICKS_PER_SECOND = 100;

/**
 * The pids of `root` and of its descendants and process group. With `rootIsOurs` false (the root
 * was reaped and its pid may name another process now) only its process group is followed.
 */
export function processTree(root: number, table: Map<number, ProcessRow> = readProcessTable(), rootIsOurs = true, index: TableIndex = indexTable(table)): number[] {
  const { children, groups } = index;
  const found = new Set<number>();
  const queue = rootIsOurs ? [root] : [];
  for (const pid of groups.get(root) ?? []) if (pid !== root) queue.push(pid);
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (found.has(pid) || !table.has(pid) || (!rootIsOurs && pid === root)) continue;
    found.add(pid);
    for (const child of children.get(pid) ?? []) queue.push(child);
  }
  return [...found];
}

/**
 * `root`'s tree read from its root down through /proc/<pid>/task/<pid>/children, with the stat of
 * each member; members of `alsoKnown` (an earlier full read) that still run are included with
 * their own children, so that re-parented process-group members keep counting.
 */
export function readTree(root: number, alsoKnown: ReadonlyMap<number, ProcessRow>): Map<number, ProcessRow> {
  const tree = new Map<number, ProcessRow>();
  const visit = (pid: number): void => {
    if (tree.has(pid)) return;
    const row = readStat(pid);
    if (!row) return;
    tree.set(pid, row);
    for (const child of readChildren(pid)) visit(child);
  };
  visit(root);
  for (const [pid, { startTicks }] of alsoKnown) {
    // the same process, not another that was given its pid since
    if (!tree.has(pid) && readStat(pid)?.startTicks === startTicks) visit(pid);
  }
  return tree;
}

/** True when this kernel lists a task's children in /proc (CONFIG_PROC_CHILDREN). */
export function canReadChildren(): boolean {
  return existsSync(`/proc/${process.pid}/task/${process.pid}/children`);
}

/** The children the main thread of `pid` forked; [] when it is gone. */
function readChildren(pid: number): number[] {
  const text = readProcFile(`/proc/${pid}/task/${pid}/children`);
  return text ? text.split(' ').filter(Boolean).map(Number) : [];
}

/**
 * Where small /proc files are read. Reused: the monitor reads many of them each second, and
 * readFileSync's own buffers made that three times slower.
 */
const procBuffer = Buffer.alloc(4096);

/** A small /proc file's text, or null when it cannot be read (the process is gone). */
function readProcFile(path: string): string | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const read = readSync(fd, procBuffer, 0, procBuffer.length, 0);
    // longer than the buffer (a process with hundreds of children): read it whole
    return read < procBuffer.length ? procBuffer.toString('latin1', 0, read) : readFileSync(path, 'latin1');
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Fields of /proc/<pid>/stat that pmx uses, or null when the process is gone. */
export function readStat(pid: number): ProcessRow | null {
  const text = readProcFile(`/proc/${pid}/stat`);
  if (text === null) return null;
  // the command name (field 2) may hold spaces and parentheses: fields start after the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    state: fields[0]!,
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    ticks: Number(fields[11]) + Number(fields[12]),
    startTicks: Number(fields[19]),
    rss: Number(fields[21]) * PAGE_SIZE,
  };
}

/** Bytes per page, in which /proc counts resident memory. */
const PAGE_SIZE = 4096;

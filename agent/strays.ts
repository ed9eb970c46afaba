// Processes a dead agent started but never recorded: its state file could not be written (a full
// disk under the home) when it restarted, reloaded or started them. Each writes its output into a
// FIFO under PMX_HOME/pipes (os.ts), so they are found by that: a process whose stdout or stderr
// is one of this home's FIFOs and not one of the recorded live children's. The next agent stops
// them (SIGINT to their tree, SIGKILL after a grace) before it starts anything, so that what it
// starts again under supervision finds its port free, and nothing runs that `pmx ls` does not show.
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import type { ProcessOs } from './process/os.js';
import type { RecoveredProcess } from './protocol/launch.js';

/** How long strays have to end on SIGINT before they are killed. */
const GRACE_MS = 3000;

/** Stops every stray of the home whose FIFOs are under `pipesDir`; `inUse`: the recorded live children's FIFOs. */
export function stopStrays(pipesDir: string, inUse: ReadonlySet<string>, os: ProcessOs, log: (line: string) => void, why = 'that the agent which died had not recorded (started while its state file could not be written, or left running by an app it restarted)'): RecoveredProcess[] {
  const fifoOf = pipeNamer(pipesDir);
  const used = new Set([...inUse].map((path) => `${pipesDir}/${basename(path)}`));
  const found: { pid: number; startTicks: number; fifo: string }[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const fifo = [1, 2].map((fd) => fifoOf(linkOf(pid, fd))).find((path) => path !== null && !used.has(path));
    if (fifo) found.push({ ...os.identify(pid), fifo });
  }
  if (found.length === 0) return [];
  // a stray's descendants share its FIFOs: one entry per tree, its root the process the agent started
  const pids = new Set(found.map(({ pid }) => pid));
  const roots = found.filter(({ pid }) => !pids.has(parentOf(pid)));
  const strays = roots.map((root) => ({ ...labelOf(root.pid), pid: root.pid }));
  log(`stopping ${strays.length} process${strays.length === 1 ? '' : 'es'} writing into ${pipesDir} ${why}: ${strays.map((s) => `${s.name} (id ${s.id}, pid ${s.pid})`).join(', ')}`);
  const members = roots.flatMap((root) => os.tree(root));
  os.kill(members, 'SIGINT');
  if (!waitGone(members, os, GRACE_MS)) {
    os.kill(members, 'SIGKILL');
    waitGone(members, os, 1000);
  }
  return strays;
}

/**
 * The FIFO of this home a /proc fd link names, as the agent names it (`<pipesDir>/<number>`), or
 * null: the home may be reached through a symlink (/proc gives the real path), a FIFO removed by
 * hand is `<path> (deleted)`, and only the numbered FIFOs right in the directory are the agent's
 * (a file of another home nested under it is not).
 */
function pipeNamer(pipesDir: string): (link: string | null) => string | null {
  let real = pipesDir;
  try {
    real = realpathSync(pipesDir);
  } catch {
    // no pipes directory: no FIFO of this home can be open
  }
  const dirs = new Set([pipesDir, real]);
  return (link) => {
    if (link === null) return null;
    const path = link.endsWith(' (deleted)') ? link.slice(0, -' (deleted)'.length) : link;
    const slash = path.lastIndexOf('/');
    const name = path.slice(slash + 1);
    return dirs.has(path.slice(0, slash)) && /^\d+$/.test(name) ? `${pipesDir}/${name}` : null;
  };
}

function linkOf(pid: number, fd: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return null;
  }
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/** The app's name and id from the variables the agent gave it (only those two are read: the others may hold secrets). */
function labelOf(pid: number): { id: number; name: string } {
  let name = '?';
  let id = -1;
  try {
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      if (entry.startsWith('pm_id=')) id = Number(entry.slice(6));
      else if (entry.startsWith('name=')) name = entry.slice(5);
    }
  } catch {
    // gone meanwhile
  }
  return { id, name };
}

/** Waits (blocking: the agent starts nothing meanwhile) until none of `members` runs; false after `timeoutMs`. */
function waitGone(members: { pid: number; startTicks: number }[], os: ProcessOs, timeoutMs: number): boolean {
  const tick = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!members.some((member) => os.alive(member))) return true;
    if (Date.now() > deadline) return false;
    Atomics.wait(tick, 0, 0, 20);
  }
}

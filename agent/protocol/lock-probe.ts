// Whether an agent holds a home's lock, and which process it is: how the CLI tells a live agent
// (starting, or whose socket was deleted) from a dead one without trusting a pid file alone.
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import type { AgentHome } from './home.js';
import { systemTool } from './system-tool.js';

/** The agent holding `home`'s lock (its pid when it can be found), or null when no agent holds it. */
export function lockHolder(home: AgentHome): { pid: number | null } | null {
  if (!lockHeld(home.lockFile)) return null;
  return { pid: holderPid(home) };
}

/** The pid written in agent.pid, or null. */
export function readAgentPid(home: AgentHome): number | null {
  try {
    const pid = Number.parseInt(readFileSync(home.pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * True when an exclusive flock is held on `lockFile`, read from /proc/locks (no process started:
 * the CLI asks this each time it finds no socket). A line for another device with the same inode
 * number is settled by asking flock itself.
 */
export function lockHeld(lockFile: string): boolean {
  let dev: bigint;
  let ino: bigint;
  let locks: string;
  try {
    ({ dev, ino } = statSync(lockFile, { bigint: true }));
    locks = readFileSync('/proc/locks', 'latin1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !existsLockFile(lockFile)) return false;
    return probeWithFlock(lockFile);
  }
  const device = `${hex(major(dev))}:${hex(minor(dev))}:${ino}`;
  let sameInode = false;
  for (const line of locks.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // "1: FLOCK  ADVISORY  WRITE 2999 fe:00:2146468 0 EOF"; a waiter's line has "->" in second place
    if (fields[1] !== 'FLOCK' || fields[3] !== 'WRITE') continue;
    if (fields[5] === device) return true;
    if (fields[5]?.endsWith(`:${ino}`)) sameInode = true;
  }
  return sameInode ? probeWithFlock(lockFile) : false;
}

function existsLockFile(lockFile: string): boolean {
  try {
    statSync(lockFile);
    return true;
  } catch {
    return false;
  }
}

/** Asks flock for a shared lock without waiting: refused only while an agent holds it exclusively. */
function probeWithFlock(lockFile: string): boolean {
  // node:child_process is loaded here, where it is used: every command reaches this module (ls too),
  // and /proc/locks settles nearly every question without a process
  const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const result = spawnSync(systemTool('flock'), ['-s', '-n', lockFile, 'true'], { stdio: 'ignore' });
  return result.status === 1;
}

/**
 * The process holding the lock: agent.pid's when it does, else found through /proc. A process
 * merely waiting for the lock (a boot hook waiting to take over) has the file open too; only the
 * holder's descriptor lists the lock in its fdinfo.
 */
function holderPid(home: AgentHome): number | null {
  let target: string;
  try {
    target = realpathSync(home.lockFile);
  } catch {
    return null;
  }
  const written = readAgentPid(home);
  if (written !== null && holdsLock(written, target)) return written;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid !== process.pid && holdsLock(pid, target)) return pid;
  }
  return null;
}

/** True when one of `pid`'s descriptors is `target` with an exclusive flock granted to it. */
export function holdsLock(pid: number, target: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === target && /^lock:\s.*FLOCK\s+ADVISORY\s+WRITE/m.test(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1'));
    } catch {
      return false;
    }
  });
}

// Linux's encoding of a device number (see <sys/sysmacros.h>)
function major(dev: bigint): bigint {
  return ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
}

function minor(dev: bigint): bigint {
  return (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
}

function hex(value: bigint): string {
  return value.toString(16).padStart(2, '0');
}

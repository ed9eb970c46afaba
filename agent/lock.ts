// The agent's pid file, taken exclusively: one agent per home. A pid file left by a crashed
// agent is recognised (its pid is gone or is no agent) and replaced.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { AgentFault } from './fault.js';
import { AGENT_MARKER } from './protocol/launch.js';


/** Writes our pid into `pidFile`, replacing a stale one; fails when a live agent holds it. */
export function acquirePidFile(pidFile: string): void {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readPid(pidFile);
    if (holder !== null && holder !== process.pid && isAgent(holder)) {
      throw new AgentFault('ALREADY_RUNNING', `an agent already runs with pid ${holder} (${pidFile})`, { pid: holder });
    }
    try {
      unlinkSync(pidFile);
    } catch {
      // another starting agent removed it first; try again
    }
  }
  throw new AgentFault('INTERNAL', `could not take ${pidFile}`);
}

/** Removes the pid file if it is still ours. */
export function releasePidFile(pidFile: string): void {
  if (readPid(pidFile) !== process.pid) return;
  try {
    unlinkSync(pidFile);
  } catch {
    // already gone
  }
}

export function readPid(pidFile: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** True when `pid` is a live pmx agent (not a stranger that reused the pid). */
export function isAgent(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(AGENT_MARKER);
  } catch {
    return false;
  }
}

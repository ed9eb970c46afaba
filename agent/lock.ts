// One agent per home: an exclusive flock(2) on PMX_HOME/agent.lock, held by the agent for its
// whole life and given back by the kernel when it dies, however it dies (SIGKILL, OOM).
//
// Node has no flock(). util-linux `flock` takes the lock on a descriptor the agent opened and
// hands it, then exits: a flock lock belongs to the open file description, which the agent keeps
// open, so the lock stays with the agent. Node opens files close-on-exec, so no app inherits it.
// The lock file is never removed: a lock on a removed file would not exclude the next agent.
import { spawn } from 'node:child_process';
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { AgentFault } from './fault.js';
import type { AgentHome } from './protocol/home.js';
import { guardHome } from './protocol/home-guard.js';
import { lockHolder, readAgentPid } from './protocol/lock-probe.js';
import { systemTool } from './protocol/system-tool.js';

/** flock's exit code when another process holds the lock (util-linux and BusyBox alike, short options only). */
const CONFLICT = 1;

/** The lock of a home, held by this process. */
export interface HomeLock {
  /** Gives the lock back (the process is about to exit). */
  release(): void;
  /** The pid an agent before this one left in agent.pid (an agent that ends cleanly removes it): it did not end cleanly. */
  readonly previousPid: number | null;
}

/**
 * Takes the home's lock; an ALREADY_RUNNING fault (with the holder's pid) when an agent has it, or
 * with `wait`, once that agent has ended (the kernel wakes us: no polling).
 */
export async function acquireHomeLock(home: AgentHome, options: { wait?: boolean } = {}): Promise<HomeLock> {
  // checked before anything is made there: pmx-runtime takes the lock before the agent's own check
  guardHome(home);
  mkdirSync(home.root, { recursive: true, mode: 0o700 });
  const fd = openSync(home.lockFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  let code: number | null;
  try {
    code = await runFlock(fd, options.wait === true);
  } catch (error) {
    closeSync(fd);
    throw new AgentFault(`cannot lock ${home.lockFile}: ${(error as Error).message} (pmx needs the flock command of util-linux)`, { code: 'INTERNAL', file: home.lockFile, data: { file: home.lockFile } });
  }
  if (code !== 0) {
    closeSync(fd);
    if (code !== CONFLICT) throw new AgentFault(`cannot lock ${home.lockFile}: flock exited with code ${code}`, { code: 'INTERNAL', file: home.lockFile, data: { file: home.lockFile } });
    const pid = lockHolder(home)?.pid ?? readAgentPid(home);
    throw new AgentFault(`an agent already runs in ${home.root}${pid ? ` with pid ${pid}` : ''} (it holds ${home.lockFile})`, { code: 'ALREADY_RUNNING', data: { pid } });
  }
  const previousPid = readAgentPid(home);
  writePidFile(home.pidFile);
  return {
    previousPid,
    release() {
      if (readAgentPid(home) === process.pid) removeQuietly(home.pidFile);
      closeSync(fd);
    },
  };
}

function runFlock(fd: number, wait: boolean): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const args = ['-x', ...(wait ? [] : ['-n']), '3'];
    const child = spawn(systemTool('flock'), args, { stdio: ['ignore', 'ignore', 'ignore', fd] });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

/**
 * agent.pid names the lock holder for humans and for `pmx kill` (which also find it by the lock);
 * written whole (temp file, rename). On a full disk the file a dead agent left is written over in
 * place (its block is there), and with none the agent runs without one: an agent must come back
 * after a crash to supervise what runs, whatever the disk.
 */
function writePidFile(pidFile: string): void {
  const temp = `${pidFile}.${process.pid}.tmp`;
  const text = `${process.pid}\n`;
  try {
    writeFileSync(temp, text, { mode: 0o600 });
    renameSync(temp, pidFile);
  } catch {
    removeQuietly(temp);
    try {
      const fd = openSync(pidFile, 'r+');
      try {
        writeSync(fd, text, 0);
        ftruncateSync(fd, Buffer.byteLength(text));
      } finally {
        closeSync(fd);
      }
    } catch {
      removeQuietly(pidFile);
    }
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

// What runs on the machine for one pmx home, read from /proc: its agents, the processes holding
// its lock, every process started with its PMX_HOME; and CPU load for tests that need a busy machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

/** One live process (zombies excluded). */
export interface LiveProcess {
  pid: number;
  ppid: number;
  cmdline: string[];
}

/** Every live process whose environment holds PMX_HOME=home (the agent, the CLIs and the apps they started). */
export function processesOfHome(home: string, all: LiveProcess[] = liveProcesses()): LiveProcess[] {
  const wanted = `PMX_HOME=${home}`;
  return all.filter(({ pid }) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(wanted);
    } catch {
      return false;
    }
  });
}

/** Detached agents of `home`: processes whose command line carries the agent marker. */
export function agentsOf(home: string): number[] {
  return processesOfHome(home)
    .filter(({ cmdline }) => cmdline.includes('--pmx-agent'))
    .map(({ pid }) => pid);
}

/** Processes holding `home`'s agent.lock (its fdinfo lists the lock): the agent, detached or in the foreground. */
export function lockHoldersOf(home: string): number[] {
  let lock: string;
  try {
    lock = realpathSync(join(home, 'agent.lock'));
  } catch {
    return [];
  }
  return liveProcesses()
    .filter(({ pid }) => {
      try {
        return readdirSync(`/proc/${pid}/fd`).some(
          (fd) => safeReadlink(`/proc/${pid}/fd/${fd}`) === lock && /^lock:\s.*FLOCK\s+ADVISORY\s+WRITE/m.test(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1')),
        );
      } catch {
        return false;
      }
    })
    .map(({ pid }) => pid);
}

/** `pid` and every live descendant of it. */
export function treeOf(pid: number, all: LiveProcess[] = liveProcesses()): number[] {
  const found = [pid];
  for (let i = 0; i < found.length; i++) for (const proc of all) if (proc.ppid === found[i]) found.push(proc.pid);
  return found;
}

/** CPU-bound processes, one per `count`, until stop() (a loaded machine, as at boot). */
export function burnCpu(count: number): { stop(): void } {
  const burners: ChildProcess[] = [];
  for (let i = 0; i < count; i++) burners.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  return {
    stop() {
      for (const burner of burners) if (burner.exitCode === null && burner.signalCode === null) burner.kill('SIGKILL');
    },
  };
}

/**
 * Every live process (zombies left out), read once: compare what one snapshot says, since a
 * process read in one pass and its parent in another may have started or ended between them.
 */
export function liveProcesses(): LiveProcess[] {
  const found: LiveProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      found.push({ pid, ppid: Number(fields[1]), cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function safeReadlink(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

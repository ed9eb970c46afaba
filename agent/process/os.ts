// The seam between supervised processes and the operating system: spawning, identifying and
// signalling process trees. Tests of the supervision logic run against the real one.
import { spawn, type ChildProcess } from 'node:child_process';
import type { AppSpec } from '../protocol/app-spec.js';
import { processTree, readProcessTable, readStat } from '../os/process-tree.js';

export interface ProcessIdentityRow {
  pid: number;
  startTicks: number;
}

export interface ProcessOs {
  spawn(command: string, args: string[], options: { cwd: string; env: Record<string, string>; ipc: boolean }): ChildProcess;
  /** The identity of a live pid (pid + start time), so later signals never hit a reused pid. */
  identify(pid: number): ProcessIdentityRow;
  /** `root` (if still the same process) and its live descendants and process-group members. */
  tree(root: ProcessIdentityRow): ProcessIdentityRow[];
  /** Signals each process whose identity still matches. */
  kill(members: ProcessIdentityRow[], signal: NodeJS.Signals): void;
  now(): number;
}

/** The real operating system. */
export const realOs: ProcessOs = {
  spawn(command, args, { cwd, env, ipc }) {
    return spawn(command, args, {
      cwd,
      env,
      // its own process group: the whole tree can be found and signalled
      detached: true,
      stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
      serialization: 'json',
    });
  },
  identify(pid) {
    return { pid, startTicks: readStat(pid)?.startTicks ?? -1 };
  },
  tree(root) {
    const table = readProcessTable();
    const rootIsOurs = table.get(root.pid)?.startTicks === root.startTicks;
    return processTree(root.pid, table, rootIsOurs).map((pid) => ({ pid, startTicks: table.get(pid)!.startTicks }));
  },
  kill(members, signal) {
    for (const { pid, startTicks } of members) {
      if (readStat(pid)?.startTicks !== startTicks) continue;
      try {
        process.kill(pid, signal);
      } catch {
        // gone in between
      }
    }
  },
  now: () => Date.now(),
};

/** The command line that runs an app: its interpreter (if any), the script and its arguments. */
export function launchCommand(spec: AppSpec): { command: string; args: string[]; ipc: boolean } {
  const interpreter = spec.interpreter;
  if (interpreter === 'none' || interpreter === '') {
    return { command: spec.script, args: spec.args, ipc: false };
  }
  const isNode = interpreter === 'node' || interpreter === process.execPath;
  return {
    command: interpreter === 'node' ? process.execPath : interpreter,
    args: [...spec.interpreter_args, spec.script, ...spec.args],
    ipc: isNode,
  };
}

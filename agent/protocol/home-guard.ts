// StrictModes for the agent's home, as OpenSSH checks ~/.ssh: the home, its socket, pid file,
// dumps and directories must belong to the effective user and be writable by nobody else, or a
// user who controls them could have root run what they planted (a dump), or talk to root's CLI.
import { readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { AgentHome } from './home.js';
import { AgentFault } from '../fault.js';

/** Refuses the home when it, or anything in it the agent trusts, is foreign or writable by others. */
export function guardHome(home: AgentHome): void {
  guardPath(home.root, 'home');
  for (const dir of [home.logs, home.pids, home.pipes]) guardPath(dir, 'directory');
  for (const file of [home.socket, home.pidFile, home.lockFile, home.stateFile, home.dump, `${home.dump}.bak`]) guardPath(file, 'file');
}

/** Refuses a dump (or its backup) that is foreign or writable by others, before it is read. */
export function guardDump(file: string): void {
  guardPath(file, 'file');
}

/** Throws HOME_UNSAFE when `path` exists and is not the effective user's alone; a missing path is fine. */
export function guardPath(path: string, what: 'home' | 'directory' | 'file'): void {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    return; // not there yet: the agent creates it, privately
  }
  const euid = process.geteuid?.();
  if (euid === undefined) return; // no uids to compare (not a POSIX system)
  const foreign = stats.uid !== euid;
  const shared = (stats.mode & 0o022) !== 0;
  if (!foreign && !shared) return;
  const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
  const owner = userName(stats.uid);
  const problem = foreign ? `it belongs to ${owner}, not to ${userName(euid)}` : `it is writable by ${(stats.mode & 0o002) !== 0 ? 'every user' : 'its group'}`;
  const fix = !foreign
    ? `run 'chmod ${what === 'file' ? 'go-w' : '700'} ${path}' once you have checked that nobody else changed what it holds`
    : what === 'home'
      ? `run pmx as ${owner}, or set PMX_HOME to a directory of your own`
      : `someone else put it there: check it, then remove it (or 'chown ${euid} ${path}')`;
  throw new AgentFault(`refusing ${path}: ${problem} (mode ${mode}); ${fix}`, { code: 'HOME_UNSAFE', file: path, data: { path, uid: stats.uid, owner, mode } });
}

/** The name of `uid` from /etc/passwd, or `uid N` when it has none. */
function userName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && Number(id) === uid) return `${name} (uid ${uid})`;
    }
  } catch {
    // no passwd file (a minimal container): the number alone
  }
  return `uid ${uid}`;
}

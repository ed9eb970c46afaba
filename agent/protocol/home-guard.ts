// StrictModes for the agent's home, as OpenSSH checks ~/.ssh: the home, its socket, pid file,
// dumps and directories must belong to the effective user and be writable by nobody else, or a
// user who controls them could have root run what they planted (a dump), or talk to root's CLI.
// The directories above the home are checked too, as OpenSSH checks every parent: a user who may
// rename entries in one of them could swap the home for their own between a check and a read.
import { lstatSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { pinPath, type AgentHome } from './home.js';
import { AgentFault } from '../fault.js';

/** Refuses the home when it, or anything in it the agent trusts, is foreign or writable by others. */
export function guardHome(home: AgentHome): void {
  guardLinks(home.root);
  guardParents(pinPath(home.root));
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

/**
 * Throws HOME_UNSAFE when a directory above `home` could let another user replace it: one that
 * belongs to someone other than root and the effective user, or that group/others may write
 * without the sticky bit (a sticky directory such as /tmp lets nobody rename another's entry).
 */
export function guardParents(home: string): void {
  const euid = process.geteuid?.();
  if (euid === undefined) return;
  for (let dir = dirname(home); ; dir = dirname(dir)) {
    let stats: Stats | null = null;
    try {
      stats = lstatSync(dir);
    } catch {
      // not there yet: created by the agent, privately
    }
    if (stats) {
      const foreign = stats.uid !== 0 && stats.uid !== euid;
      // group-writable is fine for a user private group (the owner's own, with no other member: a
      // home made 0775 under Debian's or Fedora's usual scheme), as Debian's OpenSSH accepts it
      const shared = (stats.mode & 0o022) !== 0 && (stats.mode & 0o1000) === 0 && !((stats.mode & 0o002) === 0 && privateGroup(stats.uid, stats.gid));
      if (stats.isSymbolicLink() || foreign || shared) {
        const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
        const problem = stats.isSymbolicLink()
          ? `${dir} above it became a symbolic link as it was checked`
          : foreign
            ? `${dir} above it belongs to ${userName(stats.uid)} (mode ${mode}), who could replace the home with their own`
            : `${dir} above it is writable by ${(stats.mode & 0o002) !== 0 ? 'every user' : 'its group'} without the sticky bit (mode ${mode}), so others could replace the home`;
        throw new AgentFault(`refusing ${home}: ${problem}; set PMX_HOME to a directory whose parents only you and root may change`, {
          code: 'HOME_UNSAFE',
          file: home,
          data: { path: dir, uid: stats.uid, owner: userName(stats.uid), mode },
        });
      }
    }
    if (dirname(dir) === dir) return;
  }
}

/**
 * Throws HOME_UNSAFE when a symbolic link on the way to `home` (or the home itself) belongs to
 * another user than root and the effective user: its owner could point it anywhere, between a
 * check and a read. (The directories the links lead through are checked by guardParents.)
 */
export function guardLinks(home: string): void {
  const euid = process.geteuid?.();
  if (euid === undefined) return;
  const parts = home.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const path = `/${parts.slice(0, i).join('/')}`;
    let stats: Stats;
    try {
      stats = lstatSync(path);
    } catch {
      return; // not there yet: made by the agent, privately
    }
    if (stats.isSymbolicLink() && stats.uid !== 0 && stats.uid !== euid) {
      const which = path === home ? 'it is a symbolic link' : `${path} on its way is a symbolic link`;
      throw new AgentFault(`refusing ${home}: ${which} that belongs to ${userName(stats.uid)}, who could point it elsewhere; set PMX_HOME to a directory of your own`, {
        code: 'HOME_UNSAFE',
        file: home,
        data: { path, uid: stats.uid, owner: userName(stats.uid), mode: (stats.mode & 0o7777).toString(8).padStart(4, '0') },
      });
    }
  }
}

/** True when `gid` is the private group of user `uid`: named as the user, with no member besides it. */
function privateGroup(uid: number, gid: number): boolean {
  const user = userName(uid).split(' ')[0];
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , id, members = ''] = line.split(':');
      if (Number(id) !== gid || name === undefined) continue;
      const others = members.split(',').filter((member) => member !== '' && member !== user);
      return name === user && others.length === 0;
    }
  } catch {
    // no group file: not known to be private
  }
  return false;
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

// StrictModes for the agent's home, as OpenSSH checks ~/.ssh: the home, its socket, pid file,
// dumps and directories must belong to the effective user and be writable by nobody else, or a
// user who controls them could have root run what they planted (a dump), or talk to root's CLI.
// The directories above the home are checked too, as OpenSSH checks every parent: a user who may
// rename entries in one of them could swap the home for their own between a check and a read;
// and so are the links on the way and the directories they lead through.
import { lstatSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentHome } from './home.js';
import { AgentFault } from '../fault.js';

/** What a Unix socket's path may hold on Linux (sun_path less its final NUL). */
const MAX_SOCKET_PATH = 107;

/** Refuses the home when it, or anything in it the agent trusts, is foreign or writable by others. */
export function guardHome(home: AgentHome): void {
  const bytes = Buffer.byteLength(home.socket);
  if (bytes > MAX_SOCKET_PATH) {
    throw new AgentFault(`${home.root} is too long a PMX_HOME: its socket path takes ${bytes} bytes, and a Unix socket path holds ${MAX_SOCKET_PATH}; use a shorter PMX_HOME (a short link of your own to it will do)`, { code: 'HOME_UNSAFE', file: home.root, data: { path: home.socket } });
  }
  guardChain(home.root);
  guardPath(home.root, 'home');
  for (const dir of [home.logs, home.pids, home.pipes]) guardPath(dir, 'directory');
  for (const file of [home.socket, home.pidFile, home.lockFile, home.stateFile, home.dump, `${home.dump}.bak`]) guardPath(file, 'file');
}

/** Refuses a dump (or its backup) that is foreign or writable by others, before it is read. */
export function guardDump(file: string): void {
  guardPath(file, 'file');
}

/** Throws HOME_UNSAFE when `path` exists and is not the effective user's (or `uid`'s) alone; a missing path is fine. */
export function guardPath(path: string, what: 'home' | 'directory' | 'file', uid = process.geteuid?.()): void {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    return; // not there yet: the agent creates it, privately
  }
  const euid = uid;
  if (euid === undefined) return; // no uids to compare (not a POSIX system)
  const foreign = stats.uid !== euid;
  const shared = (stats.mode & 0o022) !== 0;
  if (!foreign && !shared) return;
  const mode = modeOf(stats);
  const owner = userName(stats.uid);
  const problem = foreign ? `it belongs to ${owner}, not to ${userName(euid)}` : `it is writable by ${writers(stats)}`;
  const fix = !foreign
    ? `run 'chmod ${what === 'file' ? 'go-w' : '700'} ${path}' once you have checked that nobody else changed what it holds`
    : what === 'home'
      ? `run pmx as ${owner}, or set PMX_HOME to a directory of your own`
      : `someone else put it there: check it, then remove it (or 'chown ${euid} ${path}')`;
  throw new AgentFault(`refusing ${path}: ${problem} (mode ${mode}); ${fix}`, { code: 'HOME_UNSAFE', file: path, data: { path, uid: stats.uid, owner, mode } });
}

/** How guardChain words and judges a walk: defaults are those of the agent's home. */
export interface ChainCheck {
  /** What the message tells the user to do instead. */
  elsewhere?: string;
  /** Whose path it is: the effective user's, or the user a boot hook will run the agent as. */
  uid?: number;
  /** The path the message names, when it is not the path walked (a log file in the walked directory). */
  named?: string;
  /** The fault's code: the home's, a log or pid file's, or a script's (guardRunnable). */
  code?: 'HOME_UNSAFE' | 'LOG_FILE_UNSAFE' | 'SCRIPT_UNSAFE';
  /**
   * A folder of root's that a system group may write (gid below 1000 with no person's account
   * among its members, others may not: Ubuntu's /var/log is root:syslog 0775) is taken as root's
   * own: its group is the system's accounts, not a user's. For log folders; a home keeps the
   * strict rule.
   */
  systemGroups?: boolean;
  /**
   * A link at the end of the walk may lead to a file that does not exist yet (a log made through
   * a link of the user's own); by default a link to nothing is refused (a home made through it
   * would fail with a bare ENOENT).
   */
  danglingTarget?: boolean;
}

/** Groups below this gid are the system's (Debian's, Ubuntu's and Fedora's SYS_GID_MAX is 999). */
const FIRST_USER_GID = 1000;

/**
 * Walks `path` from / as the kernel resolves it, links included, and throws HOME_UNSAFE where
 * another user could change what it leads to: a directory holding an entry on the way that
 * belongs to someone other than root and the effective user, or that group/others may write
 * without the sticky bit (a sticky directory such as /tmp lets nobody rename another's entry; a
 * group that is the owner's own private group is fine); or a symbolic link of another user (its
 * owner could point it elsewhere). A link's target is walked the same way, so a chain of links is
 * checked link by link. What does not exist yet is fine: the agent makes it, privately. `check`
 * (or, as before, the message's ending alone) says otherwise for other paths than the home.
 * Returns the path walked, its links followed: where an open of `path` should land (an open that
 * lands elsewhere went through a folder swapped since: placedAt in logs/log-open.ts).
 */
export function guardChain(path: string, check: string | ChainCheck = {}): string {
  const { elsewhere = 'set PMX_HOME to a directory of your own', uid: euid = process.geteuid?.(), named = path, code = 'HOME_UNSAFE', systemGroups = false, danglingTarget = false } = typeof check === 'string' ? { elsewhere: check } : check;
  if (euid === undefined) return path;
  const fault = (message: string, data: Record<string, unknown>): AgentFault => new AgentFault(message, { code, file: named, data });
  const pending = path.split('/').filter(Boolean);
  let dir = '/';
  /** The stats of `dir` when the walk already has them (it came down into it), else null. */
  let holder: Stats | null = null;
  let hops = 0;
  /** The link whose target is being walked, and how many of its target's names are left. */
  let via: { link: string; target: string; left: number } | null = null;
  while (pending.length > 0) {
    const name = pending.shift()!;
    const inTarget = via !== null && via.left > 0;
    if (via && via.left > 0) via.left--;
    if (name === '.') continue;
    if (name === '..') {
      dir = dirname(dir);
      holder = null;
      continue;
    }
    guardHolder(dir, holder ?? lstatSync(dir), named, euid, elsewhere, fault, systemGroups);
    const entry = join(dir, name);
    let stats: Stats;
    try {
      stats = lstatSync(entry);
    } catch (err) {
      const errno = (err as NodeJS.ErrnoException).code;
      if (errno !== 'ENOENT' && errno !== 'ENOTDIR') {
        // a folder on the way the user may not search (EACCES): nothing under it can be checked or made
        throw fault(`cannot use ${named}: ${entry} on its way cannot be looked up (${errno === 'EACCES' ? 'EACCES: you may not search the folder that holds it' : errno}); ${elsewhere}`, { path: entry, errno });
      }
      // a link to nothing: making the home through it would fail with a bare ENOENT
      if (inTarget && via && !(danglingTarget && pending.length === 0)) throw fault(`refusing ${named}: the symbolic link ${via.link} on its way points to ${via.target}, which does not exist`, { path: via.link });
      return join(entry, ...pending); // not there yet
    }
    if (!stats.isSymbolicLink()) {
      dir = entry;
      holder = stats;
      continue;
    }
    if (stats.uid !== 0 && stats.uid !== euid) {
      const which = entry === path && named === path ? 'it is a symbolic link' : `${entry} on its way is a symbolic link`;
      throw unsafe(named, `${which} that belongs to ${userName(stats.uid)}, who could point it elsewhere; ${elsewhere}`, entry, stats, fault);
    }
    if (++hops > 40) throw unsafe(named, `${entry} leads through more than 40 symbolic links`, entry, stats, fault);
    const target = readlinkSync(entry);
    const names = target.split('/').filter(Boolean);
    pending.unshift(...names);
    via = { link: entry, target, left: names.length };
    if (target.startsWith('/')) {
      dir = '/';
      holder = null;
    }
  }
  return dir;
}

/**
 * Refuses a file whose content the effective user would run (an app's script, an ecosystem file,
 * whose code runs when it is read and whose values name what runs): one that belongs to another
 * user (not root), or that others may write, or that is reached through a way they could change
 * (guardChain). Another user who could change it would have this user (root, often) run their
 * code. `what` names it in the message; `fix` ends it. A file not there is left to the caller.
 */
export function guardRunnable(path: string, what: string, fix: string): void {
  const euid = process.geteuid?.();
  if (euid === undefined || !path.startsWith('/')) return;
  const fault = (message: string, data: Record<string, unknown>): AgentFault => new AgentFault(message, { code: 'SCRIPT_UNSAFE', file: path, data });
  const where = guardChain(path, { named: path, code: 'SCRIPT_UNSAFE', elsewhere: fix, systemGroups: true });
  let stats: Stats;
  try {
    stats = statSync(where);
  } catch {
    return;
  }
  const foreign = stats.uid !== 0 && stats.uid !== euid;
  const shared = othersMayWrite(stats, euid, true);
  if (!foreign && !shared) return;
  const problem = foreign
    ? `${what} belongs to ${userName(stats.uid)}, who could change what ${userName(euid)} runs`
    : `${what} is writable by ${writers(stats)} (mode ${modeOf(stats)}), who could change what ${userName(euid)} runs`;
  throw unsafe(path, `${problem}; ${fix}`, path, stats, fault);
}

type FaultOf = (message: string, data: Record<string, unknown>) => AgentFault;

/** Throws (`fault`) when the directory `dir` (`stats`), which holds an entry on the way, is one another user could change. */
function guardHolder(dir: string, stats: Stats, named: string, euid: number, elsewhere: string, fault: FaultOf, systemGroups: boolean): void {
  const foreign = stats.uid !== 0 && stats.uid !== euid;
  // a sticky folder (/tmp) lets nobody rename another's entry
  const shared = (stats.mode & 0o1000) === 0 && othersMayWrite(stats, euid, systemGroups);
  if (!foreign && !shared) return;
  const mode = modeOf(stats);
  const problem = foreign
    ? `${dir} on its way belongs to ${userName(stats.uid)} (mode ${mode}), who could replace what it holds with their own`
    : `${dir} on its way is writable by ${writers(stats)} without the sticky bit (mode ${mode}), so others could replace what it holds`;
  throw unsafe(named, `${problem}; ${elsewhere}`, dir, stats, fault);
}

/**
 * Whether someone besides its owner may write what `stats` describes: others, or its group unless
 * that is a user private group (the owner's own, with no other member: a home made 0775 under
 * Debian's or Fedora's usual scheme), as Debian's OpenSSH accepts it, or, with `systemGroups`, a
 * system group of a file or folder of root's. The account files are read only for a group-writable one.
 */
function othersMayWrite(stats: Stats, euid: number, systemGroups: boolean): boolean {
  if ((stats.mode & 0o002) !== 0) return true;
  if ((stats.mode & 0o020) === 0) return false;
  const systemGroup = systemGroups && stats.uid === 0 && stats.gid < FIRST_USER_GID && !peopleIn(stats.gid, euid);
  return !systemGroup && !privateGroup(stats.uid, stats.gid);
}

function unsafe(named: string, problem: string, at: string, stats: Stats, fault: FaultOf): AgentFault {
  return fault(`refusing ${named}: ${problem}`, { path: at, uid: stats.uid, owner: userName(stats.uid), mode: modeOf(stats) });
}

/** A mode as `ls` and chmod write it: '0755'. */
function modeOf(stats: Stats): string {
  return (stats.mode & 0o7777).toString(8).padStart(4, '0');
}

/** Who besides the owner may write what `stats` describes. */
function writers(stats: Stats): string {
  return (stats.mode & 0o002) !== 0 ? 'every user' : 'its group';
}

/**
 * True when `gid` is the private group of user `uid`: named as the user, with no member besides
 * it, in every line of /etc/group that has that gid (`groupadd -o` can give one gid two names).
 */
function privateGroup(uid: number, gid: number): boolean {
  const user = accountName(uid);
  let lines: string[];
  try {
    lines = readFileSync('/etc/group', 'utf8').split('\n');
  } catch {
    return false; // no group file: not known to be private
  }
  const entries = lines.map((line) => line.split(':')).filter(([, , id]) => id !== undefined && id !== '' && Number(id) === gid);
  if (entries.length === 0) return false;
  for (const [name, , , members = ''] of entries) {
    if (name !== user || members.split(',').some((member) => member !== '' && member !== user)) return false;
  }
  return !primaryOfAnother(gid, uid);
}

/**
 * True when a person's account (uid 1000 or above) other than `uid` is a member of `gid`, named in
 * /etc/group or by its primary group: a low gid given to people (Debian's `users`, 100; `staff`,
 * 50) is no system group, and they could swap a folder their group may write. Unknown (no file): true.
 */
function peopleIn(gid: number, uid: number): boolean {
  let passwd: string[][];
  let groups: string[][];
  try {
    passwd = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':'));
    groups = readFileSync('/etc/group', 'utf8').split('\n').map((line) => line.split(':'));
  } catch {
    return true;
  }
  const person = (id: string | undefined): boolean => id !== undefined && id !== '' && Number(id) >= FIRST_USER_GID && Number(id) !== uid;
  const uidOf = new Map(passwd.map(([name, , id]) => [name, id]));
  if (passwd.some(([, , id, group]) => group !== undefined && group !== '' && Number(group) === gid && person(id))) return true;
  return groups.some(([, , id, members = '']) => id !== undefined && id !== '' && Number(id) === gid && members.split(',').some((member) => member !== '' && person(uidOf.get(member))));
}

/** True when some user other than `uid` has `gid` as primary group (/etc/passwd): a member all the same. */
function primaryOfAnother(gid: number, uid: number): boolean {
  try {
    return readFileSync('/etc/passwd', 'utf8').split('\n').some((line) => {
      const [, , id, group] = line.split(':');
      return id !== undefined && Number(group) === gid && Number(id) !== uid;
    });
  } catch {
    return true; // unknown: not private
  }
}

/** `uid` as messages name it: `name (uid N)`, or `uid N` when it has no name. */
function userName(uid: number): string {
  const name = accountName(uid);
  return name === null ? `uid ${uid}` : `${name} (uid ${uid})`;
}

/** The name of `uid` in /etc/passwd, or null (none, or no passwd file: a minimal container). */
function accountName(uid: number): string | null {
  return nameOf('/etc/passwd', uid);
}

/** The name `id` has in `file` (/etc/passwd, /etc/group: name, password, id), or null (none, or no such file). */
export function nameOf(file: '/etc/passwd' | '/etc/group', id: number): string | null {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, , number] = line.split(':');
      if (name && Number(number) === id) return name;
    }
  } catch {
    // no such file: only the numeric id is known
  }
  return null;
}

// Who the service runs as: looked up in the user database by name or uid, never taken from
// $USER (PM2 writes `User=undefined` into its unit when USER is unset, as under cron or sudo -i).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { StartupError } from './errors.js';

/** One account of the user database. */
export interface UserEntry {
  name: string;
  uid: number;
  home: string;
}

/** The account of this process's real uid. */
export function realUser(): UserEntry {
  const uid = process.getuid?.();
  if (uid === undefined) {
    // no uids on this platform (Windows): the account this process runs as
    const info = userInfo();
    return { name: info.username, uid: -1, home: info.homedir };
  }
  const found = lookupUser(String(uid));
  if (found) return found;
  throw new StartupError(`uid ${uid} has no entry in the user database`, { code: 'UNKNOWN_USER', hint: 'name the user with -u <user> and its home with --hp <dir>', data: { uid } });
}

/** The account named `key` (a name or a uid), or a StartupError that says how to name one. */
export function requireUser(key: string): UserEntry {
  const found = lookupUser(key);
  if (found) return found;
  throw new StartupError(`-u: no user '${key}' in the user database`, { code: 'UNKNOWN_USER', hint: 'check the name with `id <user>`', data: { user: key } });
}

/** Looks `key` up through NSS (getent), then /etc/passwd, then macOS's directory service. */
export function lookupUser(key: string): UserEntry | null {
  const getent = spawnSync('getent', ['passwd', key], { encoding: 'utf8' });
  if (getent.status === 0) return parsePasswdLine(getent.stdout.split('\n')[0] ?? '');
  if (getent.error === undefined && getent.status === 2) return null; // getent ran: no such user
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => {
        const fields = entry.split(':');
        return fields[0] === key || fields[2] === key;
      });
    if (line) return parsePasswdLine(line);
  } catch {
    // no /etc/passwd: macOS keeps its users elsewhere
  }
  return process.platform === 'darwin' ? lookupDarwin(key) : null;
}

/** `name:x:uid:gid:gecos:home:shell` as an entry, or null when malformed. */
export function parsePasswdLine(line: string): UserEntry | null {
  const fields = line.trim().split(':');
  const [name, , uid, , , home] = fields;
  if (!name || uid === undefined || !/^\d+$/.test(uid) || !home) return null;
  return { name, uid: Number(uid), home };
}

function lookupDarwin(key: string): UserEntry | null {
  const byUid = /^\d+$/.test(key);
  const result = spawnSync('dscacheutil', ['-q', 'user', '-a', byUid ? 'uid' : 'name', key], { encoding: 'utf8' });
  if (result.status !== 0) return null;
  const field = (name: string): string | undefined => result.stdout.match(new RegExp(`^${name}: (.*)$`, 'm'))?.[1]?.trim();
  const name = field('name');
  const uid = field('uid');
  const home = field('dir');
  return name && uid && home ? { name, uid: Number(uid), home } : null;
}

// Whether a process listens: it, or a process it started (`npm start`'s node), holds a listening TCP
// socket (IPv4 or IPv6) or Unix stream socket among its descriptors. Read from /proc (Linux): the
// sockets among /proc/<pid>/fd of each, then the listening ones of its network namespace in
// /proc/<pid>/net/{tcp,tcp6,unix}. What a reload of a fork-mode app waits for, as a cluster
// worker's first listening server (modes/reload.ts).
import { readdir as readdirCallback, readFile as readFileCallback, readlink as readlinkCallback } from 'node:fs';
import { promisify } from 'node:util';
import { canReadChildren, readTree } from './process-tree.js';

// node:fs's callbacks, promised: node:fs/promises would load its module and readline's with it
// (about 1 MB of the agent's resident memory) for these three calls
const readdir = promisify(readdirCallback);
const readFile = promisify(readFileCallback);
const readlink = promisify(readlinkCallback);

/** TCP's LISTEN state in /proc/net/tcp. */
const TCP_LISTEN = '0A';
/** __SO_ACCEPTCON in /proc/net/unix's Flags: a socket that accepts connections. */
const UNIX_ACCEPTS = 0x10000;

/** True when `pid` holds a listening socket; false when it holds none; null when /proc cannot tell (not Linux, the process gone, another user's). */
export async function listens(pid: number): Promise<boolean | null> {
  const sockets = await socketInodes(pid);
  if (sockets === null) return null;
  // a wrapper's children: a tree of a few processes, read through /proc/<pid>/task/<pid>/children
  const others = canReadChildren() ? [...readTree(pid, new Map()).keys()].filter((member) => member !== pid) : [];
  for (const member of others) for (const inode of (await socketInodes(member)) ?? []) sockets.add(inode);
  if (sockets.size === 0) return false;
  for (const table of ['tcp', 'tcp6', 'unix'] as const) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => null);
    if (text !== null && listensIn(table, text, sockets)) return true;
  }
  return false;
}

/** The inodes of the sockets among the process's descriptors, or null when they cannot be read. */
async function socketInodes(pid: number): Promise<Set<string> | null> {
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const inodes = new Set<string>();
  for (const fd of fds) {
    // a descriptor closed meanwhile is no socket
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const socket = /^socket:\[(\d+)\]$/.exec(target);
    if (socket) inodes.add(socket[1]!);
  }
  return inodes;
}

/** Whether a /proc/net table (its header line skipped) lists one of `sockets` as listening. */
function listensIn(table: 'tcp' | 'tcp6' | 'unix', text: string, sockets: Set<string>): boolean {
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // tcp: sl local rem st queues timer retransmits uid timeout inode; unix: Num RefCount Protocol Flags Type St Inode Path
    if (table === 'unix' ? (Number.parseInt(fields[3] ?? '', 16) & UNIX_ACCEPTS) !== 0 : fields[3] === TCP_LISTEN) {
      const inode = fields[table === 'unix' ? 6 : 9];
      if (inode && inode !== '0' && sockets.has(inode)) return true;
    }
  }
  return false;
}

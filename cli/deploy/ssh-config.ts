// The parts of ~/.ssh/config that deploy honours for a host alias: HostName, User, Port,
// IdentityFile, ProxyJump, StrictHostKeyChecking, UserKnownHostsFile (first value wins, as in
// OpenSSH; Host patterns with *, ? and !).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';

export interface SshConfigEntry {
  hostname?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
  strictHostKeyChecking?: string;
  userKnownHostsFile?: string;
}

/** The settings ~/.ssh/config (at `file`) gives `alias`; empty when the file is absent. */
export function lookupSshConfig(file: string, alias: string, home = homedir()): SshConfigEntry {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { identityFiles: [] };
  }
  const entry: SshConfigEntry = { identityFiles: [] };
  let applies = true; // options before the first Host line apply to every host
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+)\s*=?\s*(.*)$/.exec(line);
    if (!match) continue;
    const key = match[1]!.toLowerCase();
    const value = match[2]!.replace(/^"(.*)"$/, '$1');
    if (key === 'host') {
      applies = hostMatches(value.split(/\s+/), alias);
      continue;
    }
    if (key === 'match') {
      applies = false; // Match blocks are not evaluated
      continue;
    }
    if (!applies) continue;
    const expand = (path: string): string => path.replace(/^~(?=\/|$)/, home).replace(/%d/g, home).replace(/%h/g, alias);
    switch (key) {
      case 'hostname':
        entry.hostname ??= value.replace(/%h/g, alias);
        break;
      case 'user':
        entry.user ??= value;
        break;
      case 'port':
        entry.port ??= Number(value);
        break;
      case 'identityfile':
        entry.identityFiles.push(expand(value));
        break;
      case 'proxyjump':
        entry.proxyJump ??= value;
        break;
      case 'stricthostkeychecking':
        entry.strictHostKeyChecking ??= value.toLowerCase();
        break;
      case 'userknownhostsfile':
        entry.userKnownHostsFile ??= expand(value.split(/\s+/)[0]!);
        break;
    }
  }
  return entry;
}

function hostMatches(patterns: string[], alias: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    const regex = new RegExp(`^${body.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    if (!regex.test(alias)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

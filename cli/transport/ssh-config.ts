// The parts of ~/.ssh/config that deploy honours for a host alias, read as OpenSSH reads them:
// Host patterns with *, ? and !, the first value of a setting wins, Include is followed.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { globMatch, hostPatternsMatch } from './host-patterns.js';

/** What ~/.ssh/config sets for one alias (unset settings are absent). */
export interface SshConfigEntry {
  hostname?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
  strictHostKeyChecking?: string;
  userKnownHostsFiles?: string[];
  connectTimeoutSec?: number;
  serverAliveIntervalSec?: number;
  serverAliveCountMax?: number;
  forwardAgent?: boolean;
  /** Settings for this host that pmx cannot honour (ProxyCommand, ...), as written. */
  unsupported: string[];
}

/** Whose config and which tokens (%d, %u) apply. */
export interface SshConfigContext {
  home: string;
  localUser: string;
}

const UNSUPPORTED = new Set(['proxycommand', 'hostkeyalias', 'certificatefile', 'localcommand', 'remotecommand']);

/** The settings `<home>/.ssh/config` gives `alias`; empty when the file is absent. */
export function lookupSshConfig(alias: string, context: SshConfigContext): SshConfigEntry {
  const entry: SshConfigEntry = { identityFiles: [], unsupported: [] };
  readFile(join(context.home, '.ssh', 'config'), alias, context, entry, true, 0);
  return entry;
}

// `applies` is the state at the start of the file (an Include inside a matching Host block); OpenSSH
// restores it after an included file, which the recursion does by returning.
function readFile(file: string, alias: string, context: SshConfigContext, entry: SshConfigEntry, applies: boolean, depth: number): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const expand = (value: string): string =>
    value.replace(/^~(?=\/|$)/, context.home).replace(/%([%dhu])/g, (_, token: string) => ({ '%': '%', d: context.home, h: alias, u: context.localUser })[token] ?? '');
  for (const raw of text.split('\n')) {
    const match = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*?)\s*$/.exec(raw);
    if (!match || raw.trim().startsWith('#')) continue;
    const key = match[1]!.toLowerCase();
    const value = match[2]!.replace(/^"(.*)"$/, '$1');
    if (key === 'host') {
      applies = hostPatternsMatch(value.split(/\s+/), alias);
      continue;
    }
    if (key === 'match') {
      applies = /^all$/i.test(value); // other Match criteria are not evaluated
      continue;
    }
    if (!applies) continue;
    if (key === 'include' && depth < 16) {
      for (const pattern of value.split(/\s+/)) {
        for (const included of expandInclude(expand(pattern), context.home)) readFile(included, alias, context, entry, true, depth + 1);
      }
      continue;
    }
    set(entry, key, value, expand, match[1]!);
  }
}

function set(entry: SshConfigEntry, key: string, value: string, expand: (value: string) => string, written: string): void {
  const seconds = /^\d+$/.test(value) ? Number(value) : undefined;
  switch (key) {
    case 'hostname':
      entry.hostname ??= expand(value);
      break;
    case 'user':
      entry.user ??= value;
      break;
    case 'port':
      if (seconds !== undefined && seconds > 0 && seconds < 65536) entry.port ??= seconds;
      break;
    case 'identityfile':
      if (value.toLowerCase() !== 'none') entry.identityFiles.push(expand(value));
      break;
    case 'proxyjump':
      entry.proxyJump ??= value;
      break;
    case 'stricthostkeychecking':
      entry.strictHostKeyChecking ??= value.toLowerCase();
      break;
    case 'userknownhostsfile':
      entry.userKnownHostsFiles ??= value.split(/\s+/).map(expand);
      break;
    case 'connecttimeout':
      entry.connectTimeoutSec ??= seconds;
      break;
    case 'serveraliveinterval':
      entry.serverAliveIntervalSec ??= seconds;
      break;
    case 'serveralivecountmax':
      if (seconds !== undefined && seconds >= 1) entry.serverAliveCountMax ??= seconds;
      break;
    case 'forwardagent':
      entry.forwardAgent ??= /^(yes|true)$/i.test(value);
      break;
    default:
      if (UNSUPPORTED.has(key) && value.toLowerCase() !== 'none' && !entry.unsupported.includes(written)) entry.unsupported.push(written);
  }
}

// relative Include paths are relative to ~/.ssh; a glob is allowed in the last component
function expandInclude(pattern: string, home: string): string[] {
  const path = isAbsolute(pattern) ? pattern : join(home, '.ssh', pattern);
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (!/[*?]/.test(last)) return [path];
  try {
    return readdirSync(dirname(path))
      .filter((name) => !name.startsWith('.') && globMatch(last, name))
      .sort()
      .map((name) => join(dirname(path), name));
  } catch {
    return [];
  }
}

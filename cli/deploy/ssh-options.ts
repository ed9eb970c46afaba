// PM2's `ssh_options` (OpenSSH -o options, a string or an array): the common ones map onto the
// ssh2 connection; any other is reported by name and ignored.
import type { HostTarget } from './types.js';

export interface SshOptionValues {
  strictHostKeyChecking?: string;
  userKnownHostsFile?: string;
  identityFiles: string[];
  port?: number;
  user?: string;
  forwardAgent?: boolean;
  proxyJump?: string;
  connectTimeout?: number;
  serverAliveInterval?: number;
}

/** Parses `Key=Value` / `Key Value` options; `fail` is called with what was expected. */
export function parseSshOptions(raw: unknown, fail: (expected: string) => never): { values: SshOptionValues; unknown: string[] } {
  const values: SshOptionValues = { identityFiles: [] };
  const unknown: string[] = [];
  if (raw === undefined) return { values, unknown };
  const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) && raw.every((item) => typeof item === 'string') ? (raw as string[]) : fail("an OpenSSH option string ('StrictHostKeyChecking=no') or an array of them");
  for (const entry of list) {
    const match = /^\s*(?:-o\s*)?([A-Za-z]+)\s*[= ]\s*(.+?)\s*$/.exec(entry);
    if (!match) fail(`'Option=value' entries, not '${entry}'`);
    const [, key, value] = match as unknown as [string, string, string];
    const yes = /^(yes|true|on)$/i.test(value);
    switch (key.toLowerCase()) {
      case 'stricthostkeychecking':
        values.strictHostKeyChecking = value.toLowerCase();
        break;
      case 'userknownhostsfile':
        values.userKnownHostsFile = value.split(/\s+/)[0];
        break;
      case 'identityfile':
        values.identityFiles.push(value);
        break;
      case 'port':
        values.port = Number(value);
        break;
      case 'user':
        values.user = value;
        break;
      case 'forwardagent':
        values.forwardAgent = yes;
        break;
      case 'proxyjump':
        values.proxyJump = value;
        break;
      case 'connecttimeout':
        values.connectTimeout = Number(value);
        break;
      case 'serveraliveinterval':
        values.serverAliveInterval = Number(value);
        break;
      default:
        unknown.push(key);
    }
  }
  return { values, unknown };
}

/** A target whose numbers are sane (a bad Port or timeout falls back to OpenSSH's defaults). */
export function applySshOptions(target: HostTarget): HostTarget {
  return {
    ...target,
    port: Number.isInteger(target.port) && target.port > 0 && target.port < 65536 ? target.port : 22,
    connectTimeoutMs: target.connectTimeoutMs > 0 ? target.connectTimeoutMs : 10_000,
    keepaliveIntervalMs: target.keepaliveIntervalMs > 0 ? target.keepaliveIntervalMs : 15_000,
  };
}

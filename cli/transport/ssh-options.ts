// PM2's `ssh_options` (OpenSSH -o options, a string or an array): the common ones map onto the
// ssh2 connection; any other is reported by name and ignored.

/** The ssh_options pmx honours, as written (paths not yet expanded). */
export interface SshOptionValues {
  strictHostKeyChecking?: string;
  userKnownHostsFiles?: string[];
  identityFiles: string[];
  port?: number;
  user?: string;
  forwardAgent?: boolean;
  proxyJump?: string;
  connectTimeoutSec?: number;
  serverAliveIntervalSec?: number;
  serverAliveCountMax?: number;
}

/** The options as read, and the names of those pmx does not honour. */
export interface ParsedSshOptions {
  values: SshOptionValues;
  unknown: string[];
}

/** Parses `Key=Value` / `Key Value` options (PM2 joins an array with ` -o `, so a string may hold several). */
export function parseSshOptions(raw: unknown, fail: (expected: string) => never): ParsedSshOptions {
  const values: SshOptionValues = { identityFiles: [] };
  const unknown: string[] = [];
  if (raw === undefined || raw === null || raw === '') return { values, unknown };
  const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) && raw.every((item) => typeof item === 'string') ? (raw as string[]) : fail("an OpenSSH option string ('StrictHostKeyChecking=no') or an array of them");
  const entries = list.flatMap((item) => item.split(/(?:^|\s+)-o(?:\s+|(?=[A-Z]))/)).map((item) => item.trim()).filter((item) => item !== '');
  for (const entry of entries) {
    const match = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.+)$/.exec(entry);
    if (!match) return fail(`'Option=value' entries, not '${entry}'`);
    const key = match[1]!;
    const value = match[2]!.replace(/^"(.*)"$/, '$1');
    const seconds = (): number => (/^\d+$/.test(value) ? Number(value) : fail(`${key} as whole seconds, not '${value}'`));
    // first value wins, as with `ssh -o` given twice
    switch (key.toLowerCase()) {
      case 'stricthostkeychecking':
        values.strictHostKeyChecking ??= value.toLowerCase();
        break;
      case 'userknownhostsfile':
        values.userKnownHostsFiles ??= value.split(/\s+/);
        break;
      case 'identityfile':
        values.identityFiles.push(value);
        break;
      case 'port':
        values.port ??= /^\d+$/.test(value) && Number(value) > 0 && Number(value) < 65536 ? Number(value) : fail(`Port as a number from 1 to 65535, not '${value}'`);
        break;
      case 'user':
        values.user ??= value;
        break;
      case 'forwardagent':
        values.forwardAgent ??= /^(yes|true|on)$/i.test(value);
        break;
      case 'proxyjump':
        values.proxyJump ??= value;
        break;
      case 'connecttimeout':
        values.connectTimeoutSec ??= seconds();
        break;
      case 'serveraliveinterval':
        values.serverAliveIntervalSec ??= seconds();
        break;
      case 'serveralivecountmax':
        values.serverAliveCountMax ??= /^[1-9]\d*$/.test(value) ? Number(value) : fail(`ServerAliveCountMax as a whole number of at least 1, not '${value}'`);
        break;
      default:
        unknown.push(key);
    }
  }
  return { values, unknown };
}

/** OpenSSH's StrictHostKeyChecking words as the three behaviours pmx has ('ask' cannot ask: it verifies). */
export function strictness(value: string | undefined): 'yes' | 'accept-new' | 'no' {
  switch (value?.toLowerCase()) {
    case 'no':
    case 'off':
    case 'false':
      return 'no';
    case 'accept-new':
      return 'accept-new';
    default:
      return 'yes';
  }
}

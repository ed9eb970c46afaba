// Talking to a host as its deploy user over real SSH, with the OpenSSH client binary.
import { runCommand } from './run-command.js';
import type { ExecResult, TestHost } from './types.js';

/** Options of sshExec. */
export interface SshExecOptions {
  /** text fed to the remote command's stdin */
  input?: string;
  /** kill the local ssh client after this many ms (default 30 s) */
  timeoutMs?: number;
  /** ssh's ConnectTimeout in seconds (default 5: a host whose link is down must not hang a test) */
  connectTimeoutSec?: number;
}

/** The ssh command line (without "ssh") that reaches host as its user, checking its key strictly. */
export function sshArgs(host: TestHost, command: string, connectTimeoutSec = 5): string[] {
  return [
    '-F',
    'none', // no user or system client config may change what the tests see
    '-i',
    host.keyPath,
    '-o',
    `UserKnownHostsFile=${host.knownHostsPath}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'UpdateHostKeys=no',
    '-o',
    'BatchMode=yes',
    '-o',
    `ConnectTimeout=${connectTimeoutSec}`,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'LogLevel=ERROR',
    '-p',
    String(host.port),
    '-l',
    host.user,
    host.address,
    '--',
    command,
  ];
}

/** Run a shell command on host as its deploy user over ssh; code 255 means ssh itself failed. */
export function sshExec(host: TestHost, command: string, opts: SshExecOptions = {}): Promise<ExecResult> {
  return runCommand('ssh', sshArgs(host, command, opts.connectTimeoutSec), {
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? 30_000,
  });
}

/** The same ssh invocation as one shell-quoted line, for logs and for humans to paste. */
export function sshCommandLine(host: TestHost, command = ''): string {
  const args = sshArgs(host, command).slice(0, command ? undefined : -2);
  return ['ssh', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

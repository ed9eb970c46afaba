// Helpers tests use on a running host: root shell inside it, its files, its processes, its sshd up/down.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { netnsPids } from './netns-links.js';
import { netns, startNetnsSshd, stopNetnsSshd } from './netns-hosts.js';
import { runCommand } from './run-command.js';
import type { ExecResult, TestHost } from './types.js';

/** The Docker backend, loaded only when a container host is used (keeps testcontainers off the netns path). */
const dockerBackend = () => import('./docker-hosts.js');

/** Options of execOnHost. */
export interface HostExecOptions {
  /** text fed to the command's stdin */
  input?: string;
  /** kill the command after this many ms (default 60 s) */
  timeoutMs?: number;
}

/** Run a shell command as root inside host (its network, mount and UTS namespaces), not over SSH. */
export async function execOnHost(host: TestHost, command: string, opts: HostExecOptions = {}): Promise<ExecResult> {
  if (host.internals.kind === 'docker') return (await dockerBackend()).dockerExec(host, command, opts.input);
  const enter = ['-t', String(netns(host).anchorPid), '-n', '-m', '-u', '--', '/bin/sh', '-c', command];
  return runCommand('nsenter', enter, {
    input: opts.input,
    timeoutMs: opts.timeoutMs,
    env: { ...process.env, HOME: '/root' },
  });
}

/** Read a file from host's own filesystem view (its /srv, /home/deploy, /tmp are its own). */
export async function readHostFile(host: TestHost, file: string): Promise<string> {
  if (!path.isAbsolute(file)) throw new Error(`readHostFile needs an absolute path, got ${file}`);
  if (host.internals.kind === 'docker') {
    const r = await (await dockerBackend()).dockerExec(host, `cat -- '${file.replace(/'/g, `'\\''`)}'`);
    if (r.code !== 0) throw new Error(`cannot read ${file} on ${host.name}: ${r.stderr.trim()}`);
    return r.stdout;
  }
  // /proc/<pid>/root resolves paths in that process's mount namespace: the host's bind mounts apply
  return readFile(`/proc/${netns(host).anchorPid}/root${path.normalize(file)}`, 'utf8');
}

/** True when file exists in host's own filesystem view. */
export async function hostFileExists(host: TestHost, file: string): Promise<boolean> {
  const r = await execOnHost(host, `test -e '${file.replace(/'/g, `'\\''`)}'`);
  return r.code === 0;
}

/** Pids (root-namespace numbering) of every process on a namespace host right now. */
export async function hostPids(host: TestHost): Promise<number[]> {
  if (host.internals.kind === 'docker') throw new Error('hostPids: only namespace hosts share our pid numbering');
  return netnsPids(netns(host).netns);
}

/** Options of stopSshd. */
export interface StopSshdOptions {
  /** also cut the SSH sessions already open (a host going down); default: only new connections fail */
  sessions?: boolean;
}

/** Take host's sshd down: connections to its port are refused until startSshd. */
export async function stopSshd(host: TestHost, opts: StopSshdOptions = {}): Promise<void> {
  if (host.internals.kind === 'docker') return (await dockerBackend()).dockerStopSshd(host, opts.sessions ?? false);
  return stopNetnsSshd(host, opts.sessions ?? false);
}

/** Bring host's sshd back (same host key, same address); resolves once its port accepts connections. */
export async function startSshd(host: TestHost): Promise<void> {
  if (host.internals.kind === 'docker') return (await dockerBackend()).dockerStartSshd(host);
  return startNetnsSshd(host);
}

// Choosing the backend and checking that this machine can run namespace hosts (never installs anything).
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { HostsBackendKind } from './types.js';

/** Absolute path of sshd: it re-executes itself, so it must be started by this path. */
export const SSHD = '/usr/sbin/sshd';

/** Commands the namespace backend runs, looked up on PATH. */
const NETNS_COMMANDS = ['ip', 'unshare', 'nsenter', 'setsid', 'ssh', 'ssh-keygen', 'mount', 'hostname', 'flock'];

/** Full path of an executable found on PATH (plus the sbin dirs root normally has), or null. */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** Problems that stop the namespace backend on this machine (empty when it can run). */
export function netnsProblems(): string[] {
  const problems: string[] = [];
  if (process.platform !== 'linux') problems.push(`Linux is needed (this is ${process.platform})`);
  if (process.getuid?.() !== 0) problems.push('root is needed (network and mount namespaces, bridges, useradd)');
  const missing = NETNS_COMMANDS.filter((c) => findExecutable(c) === null);
  try {
    accessSync(SSHD, constants.X_OK);
  } catch {
    missing.push(SSHD);
  }
  if (missing.length > 0) {
    problems.push(
      `missing: ${missing.join(', ')} (Debian: apt-get install openssh-server openssh-client iproute2 util-linux,` +
        ' with a policy-rc.d that exits 101 so no system sshd starts)',
    );
  }
  return problems;
}

/** Throw a clear error unless the namespace backend can run here. */
export function assertNetnsPrerequisites(): void {
  const problems = netnsProblems();
  if (problems.length > 0) {
    throw new Error(`SSH test hosts (network namespaces) cannot start:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Unix sockets where a Docker engine usually listens (DOCKER_HOST first). */
function dockerSocketCandidates(): string[] {
  const host = process.env.DOCKER_HOST;
  const home = process.env.HOME ?? '/root';
  const list = ['/var/run/docker.sock', `${home}/.docker/run/docker.sock`, `${home}/.colima/default/docker.sock`];
  return host?.startsWith('unix://') ? [host.slice('unix://'.length), ...list] : list;
}

/** True when the engine on socketPath answers GET /_ping with OK within timeoutMs. */
function pingSocket(socketPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ path: socketPath });
    let reply = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n'));
    sock.on('data', (b: Buffer) => {
      reply += b.toString('latin1');
      if (/\r\n\r\nOK/.test(reply)) done(true);
    });
    sock.once('end', () => done(/\r\n\r\nOK/.test(reply)));
  });
}

/** True when a Docker engine answers quickly (a tcp:// or ssh:// DOCKER_HOST is trusted as set). */
export async function dockerAnswers(timeoutMs = 500): Promise<boolean> {
  const host = process.env.DOCKER_HOST;
  if (host && !host.startsWith('unix://')) return true;
  const results = await Promise.all(dockerSocketCandidates().map((p) => pingSocket(p, timeoutMs)));
  return results.includes(true);
}

/** Pick the backend: PMX_TEST_HOSTS (netns|docker) wins, then namespaces when they can run, then Docker. */
export async function chooseBackend(forced?: HostsBackendKind): Promise<HostsBackendKind> {
  const env = process.env.PMX_TEST_HOSTS;
  const wanted = forced ?? (env === 'docker' || env === 'netns' ? env : undefined);
  if (env && !forced && wanted === undefined) {
    throw new Error(`PMX_TEST_HOSTS=${env}: expected "netns" or "docker"`);
  }
  if (wanted) return wanted;
  const problems = netnsProblems();
  if (problems.length === 0) return 'netns';
  if (await dockerAnswers()) return 'docker';
  throw new Error(
    'SSH test hosts cannot start: no Docker engine answers, and network namespaces cannot be used:\n  - ' +
      problems.join('\n  - '),
  );
}

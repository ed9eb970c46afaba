// Public entry of pmx's SSH test hosts: real OpenSSH servers for deploy tests.
//
//   const env = await startHosts({ count: 3, name: 'deploy-test' });
//   try { await sshExec(env.hosts[0]!, 'node --version'); } finally { await stopHosts(env); }
//
// On Linux as root each host is an sshd in its own network + mount + UTS namespaces (own address on
// a private /24 behind a bridge, own /srv, /home/deploy and /tmp); elsewhere, or with
// PMX_TEST_HOSTS=docker, the hosts are containers from test/hosts/Dockerfile (testcontainers).
import { chooseBackend } from './prerequisites.js';
import { startNetnsHosts, stopNetnsHosts } from './netns-hosts.js';
import { validateName } from './instance-registry.js';
import type { HostsHandle, StartHostsOptions } from './types.js';

export type {
  DockerHostInternals,
  ExecResult,
  HostsBackendKind,
  HostsHandle,
  NetnsHostInternals,
  StartHostsOptions,
  TestHost,
} from './types.js';
export { execOnHost, hostFileExists, hostPids, readHostFile, startSshd, stopSshd } from './host-access.js';
export type { HostExecOptions, StopSshdOptions } from './host-access.js';
export { sshArgs, sshCommandLine, sshExec } from './ssh-client.js';
export type { SshExecOptions } from './ssh-client.js';
export { cleanupStale } from './teardown.js';
export { isAlive, tryConnect, waitForPort, waitUntil } from './process-utils.js';
export { assertNetnsPrerequisites, netnsProblems } from './prerequisites.js';
export { listNetns, listLinks } from './netns-links.js';

/** Handles started in this process and not stopped yet (stopAllHosts uses them). */
const running = new Set<HostsHandle>();

/** Start `count` SSH hosts; removes leftovers of an interrupted earlier run of the same name first. */
export async function startHosts(opts: StartHostsOptions): Promise<HostsHandle> {
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > 200) {
    throw new Error(`startHosts: count must be 1..200, got ${opts.count}`);
  }
  const name = opts.name ?? `p${process.pid}`;
  validateName(name);
  const backend = await chooseBackend(opts.backend);
  let handle: HostsHandle;
  if (backend === 'docker') {
    handle = await (await import('./docker-hosts.js')).startDockerHosts({ ...opts, name });
  } else {
    handle = await startNetnsHosts({ ...opts, name });
  }
  running.add(handle);
  return handle;
}

/** Stop every host of handle and remove all it made (processes, namespaces, links, files); idempotent. */
export async function stopHosts(handle: HostsHandle): Promise<void> {
  running.delete(handle);
  if (handle.backend === 'docker') {
    await (await import('./docker-hosts.js')).stopDockerHosts(handle);
  } else {
    await stopNetnsHosts(handle);
  }
}

/** Stop every instance this process started and has not stopped (for an afterAll safety net). */
export async function stopAllHosts(): Promise<void> {
  const errors: unknown[] = [];
  for (const h of [...running]) {
    await stopHosts(h).catch((e: unknown) => errors.push(e));
  }
  if (errors.length > 0) throw new AggregateError(errors, 'stopAllHosts: some hosts did not stop cleanly');
}

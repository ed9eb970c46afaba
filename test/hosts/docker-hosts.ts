// Docker backend (where a Docker engine answers): the same hosts as containers, through testcontainers.
// Loaded only by dynamic import. No Docker engine runs on the project's machines, so this path is untested there.
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StartedTestContainer } from 'testcontainers';
import { DEPLOY_USER, generateKey, writeKnownHosts } from './host-files.js';
import type { DockerHostInternals, ExecResult, HostsHandle, StartHostsOptions, TestHost } from './types.js';

/** Tag of the image built from test/hosts/Dockerfile. */
export const DOCKER_IMAGE = 'pmx-test-host:latest';
const HOSTS_DIR = path.dirname(fileURLToPath(import.meta.url));

function container(host: TestHost): StartedTestContainer {
  return (host.internals as DockerHostInternals).container;
}

/** Build the image and start `count` containers, each with its own host key and the generated client key. */
export async function startDockerHosts(opts: StartHostsOptions & { name: string }): Promise<HostsHandle> {
  const t0 = performance.now();
  const { GenericContainer, Wait } = await import('testcontainers');
  // containers of dead runs are removed by testcontainers' reaper (Ryuk); files go to a fresh dir
  const baseDir = await mkdtemp(path.join(os.tmpdir(), `pmx-hosts-${opts.name}-`));
  const started: StartedTestContainer[] = [];
  try {
    await chmod(baseDir, 0o755);
    const keyPath = path.join(baseDir, 'id_ed25519');
    const knownHostsPath = path.join(baseDir, 'known_hosts');
    await GenericContainer.fromDockerfile(HOSTS_DIR, 'Dockerfile').build(DOCKER_IMAGE, { deleteOnExit: false });
    await generateKey(keyPath, 'pmx-test-client');
    const pub = await readFile(`${keyPath}.pub`, 'utf8');
    await Promise.all(
      Array.from({ length: opts.count }, async (_, n) => {
        const c = await new GenericContainer(DOCKER_IMAGE)
          .withHostname(`h${n + 1}`)
          .withLabels({ 'pmx-hosts': opts.name })
          .withExposedPorts(22)
          .withEnvironment({ PMX_EXTRA_PATH: (opts.extraPath ?? []).join(':') })
          .withCopyContentToContainer([{ content: pub, target: '/run/pmx/authorized_keys', mode: 0o644 }])
          .withWaitStrategy(Wait.forLogMessage('pmx-host ready'))
          .start();
        started[n] = c;
      }),
    );
    const hosts: TestHost[] = started.map((c, n) => ({
      name: `h${n + 1}`,
      address: c.getHost(),
      port: c.getMappedPort(22),
      user: DEPLOY_USER,
      keyPath,
      knownHostsPath,
      internals: { kind: 'docker', container: c },
    }));
    const known = await Promise.all(
      hosts.map(async (h) => {
        const key = await dockerExec(h, 'cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub');
        return { address: h.address, port: h.port, hostKey: key.stdout.trim() };
      }),
    );
    await writeKnownHosts(knownHostsPath, known);
    const startMs = Math.round(performance.now() - t0);
    const common = { hosts, keyPath, knownHostsPath, baseDir, startMs };
    return { name: opts.name, backend: 'docker', subnet: null, bridge: null, ...common };
  } catch (e) {
    await Promise.allSettled(started.filter(Boolean).map((c) => c.stop({ timeout: 1 })));
    await rm(baseDir, { recursive: true, force: true });
    throw e;
  }
}

/** Stop and remove the containers and the instance's files. */
export async function stopDockerHosts(handle: HostsHandle): Promise<void> {
  await Promise.all(handle.hosts.map((h) => container(h).stop({ timeout: 1 })));
  await rm(handle.baseDir, { recursive: true, force: true });
}

/** Run a shell command as root in the container; stdin is passed base64-encoded (exec has none). */
export async function dockerExec(host: TestHost, command: string, input?: string): Promise<ExecResult> {
  const argv =
    input === undefined
      ? ['sh', '-c', command]
      : ['sh', '-c', 'printf %s "$0" | base64 -d | sh -c "$1"', Buffer.from(input).toString('base64'), command];
  const r = await container(host).exec(argv, { user: 'root' });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

/** Kill the container's listening sshd by its pid file (and, with sessions, every sshd process by pid). */
export async function dockerStopSshd(host: TestHost, sessions: boolean): Promise<void> {
  const killSessions = sessions
    ? 'for d in /proc/[0-9]*; do [ "$(readlink $d/exe)" = /usr/sbin/sshd ] && kill -9 ${d#/proc/}; done; '
    : '';
  const r = await dockerExec(
    host,
    `p=$(cat /run/sshd.pid) && kill $p && while kill -0 $p 2>/dev/null; do sleep 0.05; done; ${killSessions}true`,
  );
  if (r.code !== 0) throw new Error(`stopSshd ${host.name}: ${r.stderr.trim()}`);
}

/** Start sshd again in the container; sshd binds its port before it daemonizes, so it is ready on return. */
export async function dockerStartSshd(host: TestHost): Promise<void> {
  const r = await dockerExec(host, '/usr/sbin/sshd -E /var/log/sshd.log');
  if (r.code !== 0) throw new Error(`startSshd ${host.name}: ${r.stderr.trim()}`);
}

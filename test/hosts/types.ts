// Shared shapes of the SSH test-host harness: what tests get back and how the harness reaches inside.
import type { StartedTestContainer } from 'testcontainers';

/** Which kind of machinery provides the hosts. */
export type HostsBackendKind = 'netns' | 'docker';

/** Result of a command run on or against a host. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How the harness reaches a namespace host (root-side bookkeeping, not for deploy code). */
export interface NetnsHostInternals {
  kind: 'netns';
  /** network namespace name (also the prefix of its root-side veth) */
  netns: string;
  /** per-host directory holding home/, srv/, tmp/, sshd_config, keys, logs */
  dir: string;
  /** pid of the process that holds the host's mount+uts namespaces for its whole life */
  anchorPid: number;
  /** pid of the listening sshd, or null while it is stopped */
  sshdPid: number | null;
}

/** How the harness reaches a container host. */
export interface DockerHostInternals {
  kind: 'docker';
  container: StartedTestContainer;
}

/** One SSH host as tests and deploy code see it. */
export interface TestHost {
  /** short name: h1, h2, ... */
  name: string;
  /** address to connect to (the namespace address, or the Docker host) */
  address: string;
  /** SSH port (22 for namespace hosts, the mapped port for containers) */
  port: number;
  /** login user with the generated key in authorized_keys */
  user: string;
  /** private key (ed25519, mode 600) accepted by every host */
  keyPath: string;
  /** known_hosts file listing every host's key */
  knownHostsPath: string;
  /** harness internals; tests use the helpers instead */
  internals: NetnsHostInternals | DockerHostInternals;
}

/** A running set of hosts, as returned by startHosts. */
export interface HostsHandle {
  /** instance name actually used: it names the base dir and lets a later run remove leftovers */
  name: string;
  backend: HostsBackendKind;
  hosts: TestHost[];
  keyPath: string;
  knownHostsPath: string;
  /** base directory of this instance's files */
  baseDir: string;
  /** namespace backend: the /24 of this instance, e.g. 10.231.57.0/24 */
  subnet: string | null;
  /** namespace backend: the root-side bridge; its address is `<subnet>.1` */
  bridge: string | null;
  /** wall-clock milliseconds startHosts took */
  startMs: number;
}

/** Options of startHosts. */
export interface StartHostsOptions {
  /** number of hosts, 1..200 */
  count: number;
  /**
   * instance name ([A-Za-z0-9_-], max 40; default `p<pid>`). Leftovers of a dead run of this name are
   * removed first; if another live process holds it (a second test run on the machine), the hosts
   * get the first free `<name>-2`, `<name>-3`, ... instead (see handle.name).
   */
  name?: string;
  /** directories put first in PATH of every ssh session (after node's own dir) */
  extraPath?: string[];
  /** force a backend; default from PMX_TEST_HOSTS, else netns when root on Linux, else Docker */
  backend?: HostsBackendKind;
}

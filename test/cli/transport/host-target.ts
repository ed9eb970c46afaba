// The HostTarget a transport test connects with: a test host as the deploy config would describe
// it (its key, its known_hosts, strict checking), with the test's own overrides.
import type { HostTarget } from '../../../cli/transport/host-target.js';
import type { TestHost } from '../../hosts/index.js';

export function hostTarget(h: TestHost, overrides: Partial<HostTarget> = {}): HostTarget {
  return {
    label: h.name,
    hostname: h.address,
    port: h.port,
    user: h.user,
    keyFiles: [h.keyPath],
    useAgent: false,
    forwardAgent: false,
    knownHostsFiles: [h.knownHostsPath],
    strictHostKeyChecking: 'yes',
    connectTimeoutMs: 3000,
    keepaliveIntervalMs: 15_000,
    keepaliveCountMax: 3,
    proxyJump: null,
    roles: [],
    labels: {},
    ...overrides,
  };
}

// The HostTarget a transport test connects with: a test host as the deploy config would describe
// it (its key, its known_hosts, strict checking), with the test's own overrides.
import type { HostTarget } from '../../../cli/transport/host-target.js';
import type { TestHost } from '../../hosts/index.js';

/** A target with the deploy config's defaults (strict host key checking, no agent, no jump host) and `fields` over them. */
export function targetOf(fields: Pick<HostTarget, 'label' | 'hostname' | 'port' | 'user'> & Partial<HostTarget>): HostTarget {
  return {
    keyFiles: [],
    useAgent: false,
    forwardAgent: false,
    knownHostsFiles: [],
    strictHostKeyChecking: 'yes',
    connectTimeoutMs: 3000,
    keepaliveIntervalMs: 15_000,
    keepaliveCountMax: 3,
    proxyJump: null,
    roles: [],
    labels: {},
    ...fields,
  };
}

export function hostTarget(h: TestHost, overrides: Partial<HostTarget> = {}): HostTarget {
  return targetOf({ label: h.name, hostname: h.address, port: h.port, user: h.user, keyFiles: [h.keyPath], knownHostsFiles: [h.knownHostsPath], ...overrides });
}

// The one host a connection is made to, with everything needed to reach and verify it. Built by
// cli/deploy/host-targets.ts from the deploy configuration and ~/.ssh/config; a leaf.

/** One host to deploy to, after merging environment defaults, per-host objects and ~/.ssh/config. */
export interface HostTarget {
  /** How the host is named in output: the `host` value as written (alias, name or address). */
  label: string;
  /** Address or name to connect to (after ~/.ssh/config HostName). */
  hostname: string;
  port: number;
  user: string;
  /** Private key files to try, in order (`key`, ssh_options IdentityFile, ~/.ssh/config IdentityFile, default ~/.ssh/id_* that exist). */
  keyFiles: string[];
  /** Use the ssh-agent at SSH_AUTH_SOCK too. */
  useAgent: boolean;
  forwardAgent: boolean;
  /** known_hosts files to verify the host key against. */
  knownHostsFiles: string[];
  /** 'yes' verifies (default), 'accept-new' adds unknown hosts, 'no' skips (config said so). */
  strictHostKeyChecking: 'yes' | 'accept-new' | 'no';
  connectTimeoutMs: number;
  /** ServerAliveInterval: a keepalive every this long (0: none). */
  keepaliveIntervalMs: number;
  /** ServerAliveCountMax: keepalives unanswered in a row after which the host is declared dead. */
  keepaliveCountMax: number;
  /** A jump host to go through (ProxyJump), already resolved. */
  proxyJump: HostTarget | null;
  /** `roles` of a per-host object (what `--roles` selects on); [] when none. */
  roles: string[];
  /** `labels` of a per-host object, as strings; {} when none. */
  labels: Record<string, string>;
}

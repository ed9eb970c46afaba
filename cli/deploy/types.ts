// The validated deploy configuration of one environment; its hosts are cli/transport/host-target.ts targets.
// Produced by cli/deploy/config.ts from the ecosystem file's `deploy` section (PM2's keys).
import type { HostTarget } from '../transport/host-target.js';
import type { Rolling, Share } from './ramp.js';

export type DeployStrategy = 'git' | 'release';

export interface HealthCheck {
  /** An HTTP(S) URL fetched from the host itself (curl/wget/node on the host), or null. */
  url: string | null;
  /** A shell command run on the host in `current`, or null. */
  command: string | null;
  /** An app whose own `health` probe the host's agent runs: every instance online and healthy, or null. */
  app: string | null;
  timeoutMs: number;
  retries: number;
  intervalMs: number;
}

/** One entry of `secrets`: the variable's name and the local command that prints its value. */
export interface SecretCommand {
  name: string;
  command: string;
}

/** One environment of the deploy section (e.g. `production`), validated. */
export interface DeployEnvironment {
  name: string;
  /** The ecosystem file it came from (hooks and local scripts resolve against its directory). */
  file: string;
  hosts: HostTarget[];
  repo: string;
  ref: string;
  /** Absolute remote base path. */
  path: string;
  preSetup: string | null;
  postSetup: string | null;
  preDeployLocal: string | null;
  preDeploy: string | null;
  /** The file's, else PM2's default (`pmx startOrRestart <file> --env <env>`): there is always one. */
  postDeploy: string;
  /** `env_file`: the local file sent to shared/.env and linked into every release (absolute), or null. */
  envFile: string | null;
  /** `secrets`: commands run locally once per deploy; their output reaches hooks and apps as variables. */
  secrets: SecretCommand[];
  env: Record<string, string>;
  /** `fetch: 'fast'`: shallow fetch of the ref only. */
  fastFetch: boolean;
  strategy: DeployStrategy;
  keepReleases: number;
  sharedFiles: string[];
  sharedDirs: string[];
  /** Hosts prepared at once (default: all). */
  parallel: number;
  /** The canary ramp: how hosts publish after the barrier (null: every host together). */
  rolling: Rolling | null;
  /** With a ramp: how long a batch must stay healthy before the next one publishes (0: no hold). */
  batchWaitMs: number;
  /** With a ramp: the failures tolerated before the deploy stops and every published batch goes back. */
  maxFail: Share;
  healthcheck: HealthCheck | null;
  autoRollback: boolean;
  lockTimeoutMs: number;
  /** How long a hook may run on a host before it is stopped and the host fails (0: no limit). */
  hookTimeoutMs: number;
  /** Warnings met while reading (unknown ssh_options, unknown keys), each naming the key. */
  warnings: string[];
}

/** A secret's name and value. */
export interface SecretValue {
  name: string;
  value: string;
}

/** What a run sends to the hosts (a revert's and an exec's: only the values, to mask them). */
export interface RunSecrets {
  /** The env_file's bytes, or null when the environment has none. */
  envFile: Buffer | null;
  values: SecretValue[];
}

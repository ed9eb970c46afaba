// The `deploy` section of an ecosystem file (PM2's keys, plus pmx's optional ones) into a
// validated DeployEnvironment; every error names the file, the environment and the key.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import type { DeployEnvironment, DeployStrategy, HealthCheck, HostTarget } from './types.js';
import { DeployConfigError } from './errors.js';
import { lookupSshConfig } from './ssh-config.js';
import { applySshOptions, parseSshOptions } from './ssh-options.js';

export interface ReadOptions {
  /** The home whose ~/.ssh (config, keys, known_hosts) applies. */
  home: string;
}

const KNOWN_KEYS = new Set([
  'user', 'host', 'port', 'key', 'ref', 'repo', 'path', 'ssh_options', 'pre-setup', 'post-setup', 'pre-deploy-local', 'pre-deploy',
  'post-deploy', 'env', 'fetch', 'forward-agent', 'strategy', 'keep_releases', 'shared_files', 'shared_dirs', 'parallel', 'rolling',
  'healthcheck', 'auto_rollback', 'lock_timeout',
]);

/** The environment names of a deploy section. */
export function listEnvironments(deploy: unknown): string[] {
  return deploy && typeof deploy === 'object' && !Array.isArray(deploy) ? Object.keys(deploy) : [];
}

/** Reads one environment; `envName` may be omitted when the section has exactly one. */
export function readDeployEnvironment(deploy: unknown, envName: string | undefined, file: string, options: ReadOptions): DeployEnvironment {
  const shown = basename(file);
  const names = listEnvironments(deploy);
  if (names.length === 0) throw new DeployConfigError(`${shown}: no \`deploy\` section with an environment`, file, null, 'deploy');
  const name = envName ?? (names.length === 1 ? names[0]! : undefined);
  if (name === undefined) throw new DeployConfigError(`${shown}: name an environment (${names.join(', ')})`, file, null, 'deploy');
  const raw = (deploy as Record<string, unknown>)[name];
  if (raw === undefined) throw new DeployConfigError(`${shown}: no deploy environment '${name}' (known: ${names.join(', ')})`, file, name, null);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new DeployConfigError(`${shown}: deploy.${name} must be an object`, file, name, null);
  const section = raw as Record<string, unknown>;
  const fail = (key: string, expected: string): never => {
    throw new DeployConfigError(`${shown}: deploy.${name}.${key}: expected ${expected}, got ${show(section[key])}`, file, name, key);
  };
  const warnings = Object.keys(section).filter((key) => !KNOWN_KEYS.has(key)).map((key) => `${shown}: deploy.${name}: unknown key \`${key}\``);
  const text = (key: string, required: boolean): string | null => {
    const value = section[key];
    if (value === undefined || value === null || value === '') {
      if (required) throw new DeployConfigError(`${shown}: deploy.${name}.${key} is required${REQUIRED_HINTS[key] ?? ''}`, file, name, key);
      return null;
    }
    return typeof value === 'string' ? value : fail(key, 'a string');
  };
  const count = (key: string, fallback: number, min: number): number => {
    const value = section[key];
    if (value === undefined) return fallback;
    return typeof value === 'number' && Number.isInteger(value) && value >= min ? value : fail(key, `a whole number of at least ${min}`);
  };
  const path = text('path', true)!;
  if (!isAbsolute(path)) fail('path', "an absolute path such as '/srv/app'");
  const sshOptions = parseSshOptions(section.ssh_options, (expected) => fail('ssh_options', expected));
  warnings.push(...sshOptions.unknown.map((option) => `${shown}: deploy.${name}.ssh_options: ${option} is not supported and is ignored`));
  if (section.host === undefined) throw new DeployConfigError(`${shown}: deploy.${name}.host is required${REQUIRED_HINTS.host}`, file, name, 'host');
  const hosts = readHosts(section, options, sshOptions.values, fail);
  const strategy = section.strategy ?? 'git';
  if (strategy !== 'git' && strategy !== 'release') fail('strategy', "'git' or 'release'");
  return {
    name,
    file,
    hosts,
    repo: text('repo', true)!,
    ref: text('ref', false) ?? 'origin/main',
    path,
    preSetup: text('pre-setup', false),
    postSetup: text('post-setup', false),
    preDeployLocal: text('pre-deploy-local', false),
    preDeploy: text('pre-deploy', false),
    postDeploy: text('post-deploy', false),
    env: readEnv(section.env, () => fail('env', 'an object of variables')),
    fastFetch: section.fetch === 'fast',
    strategy: strategy as DeployStrategy,
    keepReleases: count('keep_releases', 5, 1),
    sharedFiles: strings(section.shared_files, () => fail('shared_files', 'an array of relative paths')),
    sharedDirs: strings(section.shared_dirs, () => fail('shared_dirs', 'an array of relative paths')),
    parallel: count('parallel', hosts.length, 1),
    rolling: count('rolling', 0, 0),
    healthcheck: readHealthcheck(section.healthcheck, () => fail('healthcheck', "a URL, a command, or { url | command, timeout, retries, interval }")),
    autoRollback: section.auto_rollback === undefined ? true : section.auto_rollback === true || section.auto_rollback === false ? section.auto_rollback : fail('auto_rollback', 'true or false'),
    lockTimeoutMs: section.lock_timeout === undefined ? 0 : typeof section.lock_timeout === 'number' && section.lock_timeout >= 0 ? section.lock_timeout : fail('lock_timeout', 'a number of ms'),
    warnings,
  };
}

const REQUIRED_HINTS: Record<string, string> = {
  path: " (the remote directory to deploy into, e.g. '/srv/app')",
  repo: " (the git repository to deploy, e.g. 'git@github.com:me/app.git')",
  host: " (a host name or address, an array of them, or objects { host, port, user, key })",
};

function readHosts(section: Record<string, unknown>, options: ReadOptions, ssh: ReturnType<typeof parseSshOptions>['values'], fail: (key: string, expected: string) => never): HostTarget[] {
  const raw = section.host;
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) fail('host', 'at least one host');
  return list.map((item) => {
    if (typeof item === 'string' && item !== '') return hostTarget({ host: item }, section, options, ssh);
    if (item && typeof item === 'object' && typeof (item as { host?: unknown }).host === 'string') return hostTarget(item as Record<string, unknown>, section, options, ssh);
    return fail('host', 'a string, an array of strings or of { host, port, user, key } objects');
  });
}

function hostTarget(item: Record<string, unknown>, section: Record<string, unknown>, options: ReadOptions, ssh: ReturnType<typeof parseSshOptions>['values']): HostTarget {
  const written = item.host as string;
  const parsed = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(written);
  const alias = parsed?.[2]?.replace(/^\[|\]$/g, '') ?? written;
  const config = lookupSshConfig(join(options.home, '.ssh', 'config'), alias, options.home);
  const key = (item.key ?? section.key) as string | undefined;
  const expand = (p: string): string => p.replace(/^~(?=\/|$)/, options.home);
  const defaults = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => join(options.home, '.ssh', n)).filter((p) => existsSync(p));
  const keyFiles = [...(key ? [expand(key)] : []), ...ssh.identityFiles.map(expand), ...config.identityFiles];
  const knownHosts = ssh.userKnownHostsFile ?? config.userKnownHostsFile;
  const strict = (ssh.strictHostKeyChecking ?? config.strictHostKeyChecking ?? 'yes').toLowerCase();
  const target: HostTarget = {
    label: written,
    hostname: config.hostname ?? alias,
    port: Number(item.port ?? parsed?.[3] ?? section.port ?? ssh.port ?? config.port ?? 22),
    user: String(item.user ?? parsed?.[1] ?? section.user ?? ssh.user ?? config.user ?? userInfo().username),
    keyFiles: keyFiles.length > 0 ? keyFiles : defaults,
    useAgent: true,
    forwardAgent: ssh.forwardAgent ?? (section['forward-agent'] === true || section['forward-agent'] === 'yes'),
    knownHostsFiles: knownHosts ? [expand(knownHosts)] : [join(options.home, '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'],
    strictHostKeyChecking: strict === 'no' || strict === 'off' ? 'no' : strict === 'accept-new' ? 'accept-new' : 'yes',
    connectTimeoutMs: (ssh.connectTimeout ?? 10) * 1000,
    keepaliveIntervalMs: (ssh.serverAliveInterval ?? 15) * 1000,
    proxyJump: null,
  };
  const jump = ssh.proxyJump ?? config.proxyJump;
  if (jump && jump !== 'none') target.proxyJump = hostTarget({ host: jump }, { ...section, port: undefined, key: section.key }, options, { ...ssh, proxyJump: undefined, port: undefined });
  return applySshOptions(target);
}

function readEnv(value: unknown, fail: () => never): Record<string, string> {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return fail();
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

function strings(value: unknown, fail: () => never): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '' && !item.startsWith('/') && !item.split('/').includes('..'))) return fail();
  return value as string[];
}

function readHealthcheck(value: unknown, fail: () => never): HealthCheck | null {
  if (value === undefined || value === null || value === false) return null;
  const base = { timeoutMs: 5000, retries: 5, intervalMs: 1000 };
  if (typeof value === 'string') return /^https?:\/\//.test(value) ? { ...base, url: value, command: null } : { ...base, url: null, command: value };
  if (typeof value !== 'object' || Array.isArray(value)) return fail();
  const raw = value as Record<string, unknown>;
  const url = typeof raw.url === 'string' ? raw.url : null;
  const command = typeof raw.command === 'string' ? raw.command : null;
  if ((url === null) === (command === null)) return fail();
  const number = (key: string, fallback: number): number => (raw[key] === undefined ? fallback : typeof raw[key] === 'number' && (raw[key] as number) >= 0 ? (raw[key] as number) : fail());
  return { url, command, timeoutMs: number('timeout', base.timeoutMs), retries: number('retries', base.retries), intervalMs: number('interval', base.intervalMs) };
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  return `${JSON.stringify(value)} (${Array.isArray(value) ? 'array' : typeof value})`;
}

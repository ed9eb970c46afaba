// The `host` value of a deploy environment (a string, an array, or per-host objects) into one
// HostTarget per host, merging the environment's user/port/key, ssh_options and ~/.ssh/config.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTarget } from '../transport/host-target.js';
import { expandHostRange } from './host-ranges.js';
import { lookupSshConfig, type SshConfigEntry } from '../transport/ssh-config.js';
import { strictness, type SshOptionValues } from '../transport/ssh-options.js';

/** What host expansion needs from the environment being read. */
export interface HostContext {
  section: Record<string, unknown>;
  ssh: SshOptionValues;
  home: string;
  localUser: string;
  /** Throws the config error for `key` (relative to the environment, e.g. `host[1].port`). */
  fail: (key: string, expected: string, value: unknown) => never;
  /** Records a warning about `key` (relative to the environment, or null for the environment itself). */
  warn: (key: string | null, message: string) => void;
}

interface HostSpec {
  label: string;
  alias: string;
  user?: string;
  port?: number;
  key?: string;
  roles?: string[];
  labels?: Record<string, string>;
}

const HOST_KEYS = new Set(['host', 'port', 'user', 'key', 'roles', 'labels']);
const HOST_EXPECTED = 'a string, an array of strings or of {host, port, user, key, roles, labels} objects';

/** One target per host of the environment, in the order written, ranges (`web[01:50]`) expanded. */
export function readHosts(context: HostContext): HostTarget[] {
  const raw = context.section.host;
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) context.fail('host', HOST_EXPECTED, raw);
  // the entry that first named each host: a host listed twice would deploy against itself (its own lock refuses it)
  const seen = new Map<string, { key: string; written: string }>();
  return list.flatMap((item, index) => {
    const where = Array.isArray(raw) ? `host[${index}]` : 'host';
    const written = typeof item === 'string' && item.trim() !== '' ? item.trim() : null;
    const object = written === null ? hostObject(item, where, context) : null;
    const key = written === null ? `${where}.host` : where;
    const names = expand(written ?? object!.host, key, context);
    for (const name of names) checkName(name, key, written ?? object!.host, context);
    return names.map((name) => {
      const made = target(object ? { ...object.spec, ...parseHostOver(name, object.spec) } : parseHost(name), context);
      const id = identity(made);
      const first = seen.get(id);
      if (first !== undefined) context.fail(key, `hosts listed once each (${id} ${first.key === key ? 'comes twice from it' : `is ${first.key} ${JSON.stringify(first.written)} too`})`, written ?? object!.host);
      seen.set(id, { key, written: written ?? object!.host });
      return made;
    });
  });
}

// what a host string may not hold, caught here rather than as a connection error per host
function checkName(name: string, key: string, written: string, context: HostContext): void {
  if (/\s/.test(name)) context.fail(key, 'one host name or address without spaces (list several hosts as an array)', written);
  const port = parseHost(name).port;
  if (port !== undefined && !(port > 0 && port < 65536)) context.fail(key, `a port number from 1 to 65535 after the host's ':' (${name})`, written);
}

// the SSH login a target makes (through its jump hosts): two entries that make the same one are the same host
function identity(target: HostTarget): string {
  const via = target.proxyJump ? ` via ${identity(target.proxyJump)}` : '';
  return `${target.user}@${target.hostname.toLowerCase()}:${target.port}${via}`;
}

function target(spec: HostSpec, context: HostContext): HostTarget {
  const config = lookupSshConfig(spec.alias, context);
  const section = context.section;
  const target = makeTarget(spec, config, context, {
    user: spec.user ?? text(section.user) ?? context.ssh.user,
    port: spec.port ?? port(section.port, 'port', context) ?? context.ssh.port,
    key: spec.key ?? text(section.key),
  });
  target.proxyJump = resolveJumps(context.ssh.proxyJump ?? config.proxyJump, context, new Set([spec.alias]));
  return target;
}

function expand(written: string, key: string, context: HostContext): string[] {
  const expansion = expandHostRange(written);
  if ('error' in expansion) return context.fail(key, `a host range such as web[01:50].example.com (${expansion.error})`, written);
  return expansion.names;
}

// an object's user/port win over the ones written in its host string, as before ranges
function parseHostOver(name: string, spec: HostSpec): HostSpec {
  const parsed = parseHost(name);
  return { label: parsed.label, alias: parsed.alias, user: spec.user ?? parsed.user, port: spec.port ?? parsed.port };
}

/** `[user@]host[:port]`, with `[v6]:port` for IPv6 addresses. */
export function parseHost(written: string): HostSpec {
  const match = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(written);
  if (!match) return { label: written, alias: written };
  return { label: written, alias: match[2]!.replace(/^\[|\]$/g, ''), user: match[1], port: match[3] ? Number(match[3]) : undefined };
}

/**
 * The `user` or `key` written in `object` (the environment, or one host's object): unset when
 * missing or null, else a string that is not blank, or `fail` with what was expected ('' was taken
 * as unset, and the deploy logged in as whoever ran pmx: root, often).
 */
export function loginField(object: Record<string, unknown>, field: 'user' | 'key', fail: (expected: string) => never): string | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value;
  return fail(field === 'user' ? 'a user name' : 'the path of a private key file');
}

function hostObject(item: unknown, where: string, context: HostContext): { host: string; spec: HostSpec } {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return context.fail('host', HOST_EXPECTED, context.section.host);
  const object = item as Record<string, unknown>;
  if (typeof object.host !== 'string' || object.host.trim() === '') return context.fail(`${where}.host`, 'a host name or address', object.host);
  for (const key of Object.keys(object).filter((k) => !HOST_KEYS.has(k))) context.warn(where, `unknown key \`${key}\` is ignored`);
  const user = loginField(object, 'user', (what) => context.fail(`${where}.user`, what, object.user));
  const key = loginField(object, 'key', (what) => context.fail(`${where}.key`, what, object.key));
  const roles = object.roles === undefined ? undefined : stringList(object.roles) ?? context.fail(`${where}.roles`, "an array of role names, such as ['web', 'db']", object.roles);
  const labels = object.labels === undefined ? undefined : labelMap(object.labels) ?? context.fail(`${where}.labels`, "an object of label names to strings, such as { zone: 'eu-1' }", object.labels);
  const spec: HostSpec = { label: '', alias: '', user, port: port(object.port, `${where}.port`, context), key, roles, labels };
  return { host: object.host.trim(), spec };
}

// PM2 configs are hand-written: one role may be written as a plain string
function stringList(value: unknown): string[] | null {
  const list = typeof value === 'string' ? [value] : value;
  return Array.isArray(list) && list.every((item) => typeof item === 'string' && item.trim() !== '' && !item.includes(',')) ? list.map((item: string) => item.trim()) : null;
}

function labelMap(value: unknown): Record<string, string> | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const entries = Object.entries(value as Record<string, unknown>);
  return entries.every(([, item]) => typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') ? Object.fromEntries(entries.map(([name, item]) => [name, String(item)])) : null;
}

// PM2 configs often write the port as a string ('22'), or from an unset environment variable
function port(value: unknown, key: string, context: HostContext): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isInteger(number) && number > 0 && number < 65536 ? number : context.fail(key, 'a port number from 1 to 65535', value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function makeTarget(spec: HostSpec, config: SshConfigEntry, context: HostContext, explicit: { user?: string; port?: number; key?: string }): HostTarget {
  const { ssh, home } = context;
  const expand = (path: string): string => path.replace(/^~(?=\/|$)/, home);
  const defaults = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => join(home, '.ssh', name)).filter((path) => existsSync(path));
  const keyFiles = [...(explicit.key ? [expand(explicit.key)] : []), ...ssh.identityFiles.map(expand), ...config.identityFiles, ...defaults];
  const knownHosts = ssh.userKnownHostsFiles ?? config.userKnownHostsFiles;
  for (const option of config.unsupported) context.warn(null, `~/.ssh/config sets ${option} for ${spec.alias}; pmx does not support it and connects without it`);
  return {
    label: spec.label,
    hostname: config.hostname ?? spec.alias,
    port: explicit.port ?? config.port ?? 22,
    user: explicit.user ?? config.user ?? context.localUser,
    keyFiles: [...new Set(keyFiles)],
    useAgent: true,
    forwardAgent: forwardAgent(context.section['forward-agent']) ?? ssh.forwardAgent ?? config.forwardAgent ?? false,
    knownHostsFiles: knownHosts ? knownHosts.map(expand) : [join(home, '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'],
    strictHostKeyChecking: strictness(ssh.strictHostKeyChecking ?? config.strictHostKeyChecking),
    connectTimeoutMs: (ssh.connectTimeoutSec || config.connectTimeoutSec || 10) * 1000,
    // a silent host is probed every interval and given up after count probes go unanswered (20 s unless configured)
    keepaliveIntervalMs: (ssh.serverAliveIntervalSec ?? config.serverAliveIntervalSec ?? 5) * 1000,
    keepaliveCountMax: ssh.serverAliveCountMax ?? config.serverAliveCountMax ?? 3,
    proxyJump: null,
    roles: spec.roles ?? [],
    labels: spec.labels ?? {},
  };
}

// PM2 passes -A for any non-empty `forward-agent`; 'no' and false are read as no here
function forwardAgent(value: unknown): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return !(value === false || (typeof value === 'string' && /^(no|false|off)$/i.test(value)));
}

// `ProxyJump a,b`: a is reached first (through its own ProxyJump, if any), then b through a.
// A jump host uses its own ~/.ssh/config user and port, not the deploy environment's.
function resolveJumps(spec: string | undefined, context: HostContext, seen: Set<string>): HostTarget | null {
  if (!spec || spec.toLowerCase() === 'none') return null;
  let via: HostTarget | null | undefined;
  for (const hop of spec.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const parsed = parseHost(hop.replace(/^ssh:\/\//, ''));
    if (seen.has(parsed.alias)) return context.fail('host', `a ProxyJump chain without a loop (${[...seen, parsed.alias].join(' -> ')})`, context.section.host);
    const config = lookupSshConfig(parsed.alias, context);
    const target = makeTarget(parsed, config, context, { user: parsed.user, port: parsed.port, key: text(context.section.key) });
    target.proxyJump = via !== undefined ? via : resolveJumps(config.proxyJump, context, new Set([...seen, parsed.alias]));
    via = target;
  }
  return via ?? null;
}

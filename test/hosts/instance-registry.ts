// Naming and allocation of harness instances: each owns a bridge pmxb<k>, the /24 10.231.<k>.0 and a base dir.
import { runChecked, runCommand, ipBatch } from './run-command.js';
import { isAlive, processStartTime } from './process-utils.js';

/** First two octets of every instance's /24. */
export const NET_PREFIX = '10.231';
const FIRST_INDEX = 10;
const INDEX_COUNT = 240; // k in 10..249
const ALIAS_TAG = 'pmx-hosts';

/** Where everything of one instance is named and addressed. */
export interface InstanceLayout {
  name: string;
  /** instance index: third octet of the /24, part of every interface name */
  index: number;
  bridge: string;
  subnet: string;
  bridgeAddress: string;
  baseDir: string;
  /** kernel ifindex of the bridge once created (0 before): identifies this very instance */
  ifindex: number;
}

/** Who created an instance's bridge (stored as the bridge's alias). */
export interface InstanceOwner {
  name: string;
  pid: number;
  start: string;
}

/** An instance found on the machine (by its bridge). */
export interface FoundInstance {
  index: number;
  bridge: string;
  owner: InstanceOwner | null;
}

/** Throw unless name can be used in paths and aliases. */
export function validateName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/.test(name)) {
    throw new Error(`bad hosts instance name ${JSON.stringify(name)}: use 1-48 of [A-Za-z0-9_-]`);
  }
}

/** Base directory of an instance's files (keys, known_hosts, per-host dirs). */
export function baseDirFor(name: string): string {
  return `/tmp/pmx-hosts-${name}`;
}

/** Layout of instance `name` at index k. */
export function layoutFor(name: string, index: number): InstanceLayout {
  return {
    name,
    index,
    bridge: `pmxb${index}`,
    subnet: `${NET_PREFIX}.${index}.0/24`,
    bridgeAddress: `${NET_PREFIX}.${index}.1`,
    baseDir: baseDirFor(name),
    ifindex: 0,
  };
}

/** Network namespace of host i (1-based) of instance k; also the root-side veth is `pmx<k>v<i>`. */
export function netnsName(index: number, i: number): string {
  return `pmx${index}h${i}`;
}

/** Root-side veth of host i of instance k (<= 15 chars). */
export function vethName(index: number, i: number): string {
  return `pmx${index}v${i}`;
}

/** Address of host i of instance k. */
export function hostAddress(index: number, i: number): string {
  return `${NET_PREFIX}.${index}.${10 + i}`;
}

/** The alias recorded on the bridge: instance name, owner pid and its start time. */
function ownerAlias(name: string): string {
  return `${ALIAS_TAG}:${name}:${process.pid}:${processStartTime(process.pid) ?? '0'}`;
}

function parseAlias(alias: string | undefined): InstanceOwner | null {
  const m = alias?.match(/^pmx-hosts:([A-Za-z0-9_-]+):(\d+):(\d+)$/);
  return m ? { name: m[1]!, pid: Number(m[2]), start: m[3]! } : null;
}

/** True while the process that created the instance still runs (pid and start time match). */
export function ownerAlive(owner: InstanceOwner): boolean {
  return isAlive(owner.pid) && processStartTime(owner.pid) === owner.start;
}

/** All pmxb<k> bridges on the machine with their recorded owners. */
export async function listInstances(): Promise<FoundInstance[]> {
  const out = await runChecked('ip', ['-j', 'link', 'show', 'type', 'bridge']);
  const links = JSON.parse(out || '[]') as Array<{ ifname: string; ifalias?: string }>;
  const found: FoundInstance[] = [];
  for (const l of links) {
    const m = l.ifname.match(/^pmxb(\d+)$/);
    if (m) found.push({ index: Number(m[1]), bridge: l.ifname, owner: parseAlias(l.ifalias) });
  }
  return found;
}

/** The ifindex of a link, or null when it does not exist (a re-created bridge gets a new one). */
export async function bridgeIfindex(bridge: string): Promise<number | null> {
  const r = await runCommand('ip', ['-j', 'link', 'show', 'dev', bridge]);
  if (r.code !== 0) return null;
  return (JSON.parse(r.stdout) as Array<{ ifindex: number }>)[0]?.ifindex ?? null;
}

/** Parse "a.b.c.d[/len]" into [network as uint32, prefix length]. */
function parsePrefix(text: string): [number, number] | null {
  const m = text.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/);
  if (!m) return null;
  const len = m[5] === undefined ? 32 : Number(m[5]);
  const ip = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  return [len === 0 ? 0 : (ip & (~0 << (32 - len))) >>> 0, len];
}

/** Routed or assigned IPv4 prefixes on this machine, default routes left out. */
async function usedPrefixes(): Promise<Array<[number, number]>> {
  const [routes, addrs] = await Promise.all([
    runChecked('ip', ['-4', '-o', 'route', 'show', 'table', 'all']),
    runChecked('ip', ['-4', '-o', 'addr', 'show']),
  ]);
  const types = new Set([
    ...['local', 'broadcast', 'unicast', 'unreachable', 'blackhole'],
    ...['prohibit', 'throw', 'multicast', 'anycast', 'nat'],
  ]);
  const used: Array<[number, number]> = [];
  for (const line of routes.split('\n')) {
    const t = line.trim().split(/\s+/);
    const dst = types.has(t[0] ?? '') ? t[1] : t[0];
    const p = dst && dst !== 'default' ? parsePrefix(dst) : null;
    if (p) used.push(p);
  }
  for (const m of addrs.matchAll(/\sinet (\d+\.\d+\.\d+\.\d+\/\d+)/g)) {
    const p = parsePrefix(m[1]!);
    if (p) used.push(p);
  }
  return used;
}

function overlaps([a, alen]: [number, number], [b, blen]: [number, number]): boolean {
  const len = Math.min(alen, blen);
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

/** Stable starting index for a name (FNV-1a), so one name tends to get the same /24. */
function preferredIndex(name: string): number {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(name)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h % INDEX_COUNT;
}

/** Take a free index: creating pmxb<k> (with its owner alias) is the atomic claim; the /24 must be unused. */
export async function allocateInstance(name: string): Promise<InstanceLayout> {
  const used = await usedPrefixes();
  const start = preferredIndex(name);
  for (let n = 0; n < INDEX_COUNT; n++) {
    const k = FIRST_INDEX + ((start + n) % INDEX_COUNT);
    const layout = layoutFor(name, k);
    if (used.some((p) => overlaps(p, parsePrefix(layout.subnet)!))) continue;
    // one `ip` process for both lines: even if we die right after, the bridge carries its owner
    const r = await ipBatch([
      `link add ${layout.bridge} type bridge stp_state 0 forward_delay 0`,
      `link set ${layout.bridge} alias ${ownerAlias(name)}`,
    ]);
    if (r.code === 0) return { ...layout, ifindex: (await bridgeIfindex(layout.bridge)) ?? 0 };
    if (!/exists/i.test(r.stderr)) throw new Error(`cannot create bridge ${layout.bridge}: ${r.stderr.trim()}`);
  }
  throw new Error(`no free ${NET_PREFIX}.<k>.0/24 for SSH test hosts (all ${INDEX_COUNT} in use)`);
}

/** Delete a link, ignoring one that is already gone. */
export async function deleteLink(name: string): Promise<void> {
  const r = await runCommand('ip', ['link', 'del', name]);
  if (r.code !== 0 && !/cannot find|does not exist/i.test(r.stderr)) {
    throw new Error(`ip link del ${name}: ${r.stderr.trim()}`);
  }
}

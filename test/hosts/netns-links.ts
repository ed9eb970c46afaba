// Root-side network plumbing of namespace hosts: bridge address, namespaces, veth pairs, their pids.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ipBatchChecked, runChecked, runCommand } from './run-command.js';
import { hostAddress, netnsName, vethName, type InstanceLayout } from './instance-registry.js';

/** Turn IPv6 off on a root-namespace interface: no link-local chatter, only our IPv4 /24. */
function disableIpv6(ifname: string): void {
  const f = `/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`;
  if (existsSync(f)) writeFileSync(f, '1');
}

/** Give the (already claimed) bridge its .1 address and bring it up. No route out, no NAT. */
export async function configureBridge(layout: InstanceLayout): Promise<void> {
  disableIpv6(layout.bridge);
  await ipBatchChecked([
    `addr replace ${layout.bridgeAddress}/24 dev ${layout.bridge}`,
    `link set ${layout.bridge} up`,
  ]);
}

/** Per host: a namespace and a veth pair (eth0 inside, pmx<k>v<i> on the bridge); eth0 is set up inside. */
export async function createHostLinks(layout: InstanceLayout, count: number): Promise<void> {
  const create: string[] = [];
  const attach: string[] = [];
  for (let i = 1; i <= count; i++) {
    const ns = netnsName(layout.index, i);
    const veth = vethName(layout.index, i);
    create.push(`netns add ${ns}`, `link add ${veth} type veth peer name eth0 netns ${ns}`);
    attach.push(`link set ${veth} master ${layout.bridge}`, `link set ${veth} up`);
  }
  await ipBatchChecked(create);
  for (let i = 1; i <= count; i++) disableIpv6(vethName(layout.index, i));
  await ipBatchChecked(attach);
}

/**
 * Make /run/netns a shared mount point, as the first `ip netns add` would: done once under the
 * machine lock, since two first `ip netns add` racing would stack two such mounts.
 */
export async function ensureNetnsRunDir(): Promise<void> {
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === '/run/netns');
  if (mounted) return;
  mkdirSync('/run/netns', { recursive: true, mode: 0o755 });
  await runChecked('mount', ['--bind', '/run/netns', '/run/netns']);
  await runChecked('mount', ['--make-shared', '/run/netns']);
}

/** Shell lines run inside host i's namespace before anything listens: IPv6 off, lo and eth0 up. */
export function insideNetworkScript(layout: InstanceLayout, i: number): string {
  return [
    'for f in /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6; do',
    '  [ -w "$f" ] && echo 1 > "$f"',
    'done',
    'ip link set lo up',
    `ip addr add ${hostAddress(layout.index, i)}/24 dev eth0`,
    'ip link set eth0 up',
  ].join('\n');
}

/** Pids of every process in a network namespace (`ip netns pids`); empty when it does not exist. */
export async function netnsPids(ns: string): Promise<number[]> {
  if (!existsSync(`/run/netns/${ns}`)) return [];
  const r = await runCommand('ip', ['netns', 'pids', ns]);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number);
}

/** Names of existing network namespaces matching re. */
export async function listNetns(re: RegExp): Promise<string[]> {
  const out = await runChecked('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => re.test(n));
}

/** Names of existing links matching re (peer suffix "@..." removed). */
export async function listLinks(re: RegExp): Promise<string[]> {
  const out = await runChecked('ip', ['-j', 'link', 'show']);
  const links = JSON.parse(out || '[]') as Array<{ ifname: string }>;
  return links.map((l) => l.ifname).filter((n) => re.test(n));
}

/** Remove a network namespace, ignoring one that is already gone. */
export async function deleteNetns(ns: string): Promise<void> {
  const r = await runCommand('ip', ['netns', 'del', ns]);
  if (r.code !== 0 && existsSync(`/run/netns/${ns}`)) throw new Error(`ip netns del ${ns}: ${r.stderr.trim()}`);
}

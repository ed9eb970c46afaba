// Which release a fleet operation acts on, decided once for every host: `revert [n]` (the n-th
// previous release that succeeded on every host and is still on every host, never a failed or bad
// one), `revert --to <release|sha>`, and `mark-bad [release]`. Refusals name each host's state.
import { PM2_SOURCE } from './remote-paths.js';
import type { HostHistory, ReleaseInfo } from './revisions.js';

/** One host's history, named. */
export interface HostReleases {
  host: string;
  history: HostHistory;
}

/** The release chosen for the whole fleet (`skipped`: the newer releases `revert n` passed over, each with why), or why there is none. */
export type FleetTarget = { release: string; sha: string | null; skipped?: string[] } | { problem: string };

/** The revert target: `--to` names one (release name or sha prefix), else the n-th successful release before the newest current one. */
export function revertTarget(hosts: HostReleases[], steps: number, to: string | null): FleetTarget {
  const currents = hosts.map((h) => h.history.current).filter((name): name is string => name !== null);
  if (currents.length === 0) return { problem: `nothing is deployed (no host has a current release)${states(hosts)}` };
  const candidates = revertable(hosts);
  if (to !== null) {
    const named = allNames(hosts).filter((name) => matches(hosts, name, to));
    if (named.length === 0) return { problem: `no release matches '${to}' on any host${states(hosts)}` };
    const usable = named.filter((name) => candidates.includes(name));
    if (usable.length === 0) return { problem: `${named.join(', ')} (matching '${to}') is not a successful, unmarked release on every host${states(hosts)}` };
    return chosen(hosts, usable[usable.length - 1]!);
  }
  const later = deployOrder(hosts);
  const newest = currents.reduce((a, b) => (later(a, b) >= 0 ? a : b));
  const older = candidates.filter((name) => later(name, newest) < 0).reverse();
  const target = older[steps - 1];
  if (!target) {
    const have = older.length === 0 ? 'no release before it' : `only ${older.length} release${older.length === 1 ? '' : 's'} before it`;
    return { problem: `cannot go back ${steps}: the fleet is on ${newest} and has ${have} that succeeded on every host, is still on every host and is not marked bad${states(hosts)}` };
  }
  // what lies between the fleet's release and the target and is not counted, said (a jump of several releases is no surprise)
  const skipped = allNames(hosts).filter((name) => later(name, target) > 0 && later(name, newest) < 0 && !candidates.includes(name));
  return { ...chosen(hosts, target), skipped: skipped.map((name) => `${name} (${whyNotRevertable(hosts, name)})`) };
}

/** Why a release is no revert target: marked bad, missing from a host, or never recorded as deployed on one. */
function whyNotRevertable(hosts: HostReleases[], name: string): string {
  const on = hosts.map((h) => ({ host: h.host, release: h.history.releases.find((r) => r.name === name) }));
  const missing = on.filter((h) => !h.release).map((h) => h.host);
  if (on.some((h) => h.release?.bad)) return 'marked bad';
  if (missing.length > 0) return `not on ${missing.join(', ')}`;
  return `not recorded as deployed on ${on.filter((h) => h.release!.deployedAt === null).map((h) => h.host).join(', ')}`;
}

/** The release `mark-bad` marks: the one named (name or sha prefix, known to any host), else the one every host is on. */
export function markTarget(hosts: HostReleases[], named: string | null): FleetTarget {
  if (named === null) {
    const currents = new Set(hosts.map((h) => h.history.current));
    const [only] = [...currents];
    if (currents.size !== 1 || !only) return { problem: `the hosts are not on one release: name the release to mark bad${states(hosts)}` };
    return chosen(hosts, only);
  }
  const known = [...new Set(hosts.flatMap((h) => (h.history.ledger ?? []).flatMap((e) => (e.release !== null ? [e.release] : []))))];
  const found = known.filter((name) => name === named || (named.length >= 4 && ledgerSha(hosts, name)?.startsWith(named)));
  if (found.length === 0) return { problem: `no host knows a release '${named}'${states(hosts)}` };
  if (found.length > 1) return { problem: `'${named}' matches ${found.length} releases (${found.join(', ')}): name one` };
  return { release: found[0]!, sha: ledgerSha(hosts, found[0]!) };
}

/** Releases, oldest first, that every host has on disk, deployed successfully and not marked bad. */
export function revertable(hosts: HostReleases[]): string[] {
  const ok = (release: ReleaseInfo | undefined): boolean => !!release && !release.bad && (release.deployedAt !== null || release.name === PM2_SOURCE);
  return allNames(hosts).filter((name) => hosts.every((h) => ok(h.history.releases.find((r) => r.name === name))));
}

function chosen(hosts: HostReleases[], release: string): FleetTarget {
  const sha = hosts.map((h) => h.history.releases.find((r) => r.name === release)?.sha).find((s) => s) ?? null;
  return { release, sha };
}

function matches(hosts: HostReleases[], name: string, to: string): boolean {
  if (name === to) return true;
  return to.length >= 4 && /^[0-9a-f]+$/.test(to) && hosts.some((h) => h.history.releases.find((r) => r.name === name)?.sha?.startsWith(to));
}

function ledgerSha(hosts: HostReleases[], release: string): string | null {
  return hosts.flatMap((h) => h.history.ledger ?? []).find((e) => e.release === release && e.sha)?.sha ?? null;
}

/** Every release a host has, oldest first. */
function allNames(hosts: HostReleases[]): string[] {
  return [...new Set(hosts.flatMap((h) => h.history.releases.map((r) => r.name)))].sort(deployOrder(hosts));
}

/**
 * Compares two releases by when they were deployed: as the first host that has both lists them
 * (readHistory: in the order of its ledger, since a name's time is the deploying machine's clock),
 * else by name. PM2's checkout is older than any release pmx made.
 */
function deployOrder(hosts: HostReleases[]): (a: string, b: string) => number {
  const positions = hosts.map((h) => new Map(h.history.releases.map((r, index) => [r.name, index])));
  const byName = (name: string): string => (name === PM2_SOURCE ? '' : name);
  return (a, b) => {
    const both = positions.find((position) => position.has(a) && position.has(b));
    return both ? both.get(a)! - both.get(b)! : byName(a).localeCompare(byName(b));
  };
}

/** `: h1 on X (has A, B); h2 on Y (has A)`, each host's state for a refusal. */
export function states(hosts: HostReleases[]): string {
  const one = (h: HostReleases): string => {
    const others = h.history.releases.filter((r) => !r.current).map((r) => `${r.name}${r.bad ? ' (bad)' : r.deployedAt === null && r.name !== PM2_SOURCE ? ' (unrecorded)' : ''}`);
    return `${h.host} on ${h.history.current ?? 'nothing'} (${others.length > 0 ? `also has ${others.join(', ')}` : 'no other release'})`;
  };
  return `: ${hosts.map(one).join('; ')}`;
}

// Teardown of namespace hosts: end every process by pid, then remove veths, namespaces, bridge and files.
import { rm } from 'node:fs/promises';
import { baseDirFor, deleteLink, listInstances, ownerAlive, validateName } from './instance-registry.js';
import { deleteNetns, listLinks, listNetns, netnsPids } from './netns-links.js';
import { withMachineLock } from './machine-lock.js';
import { signalPid, waitPidGone, waitUntil } from './process-utils.js';

/** End every process inside network namespace ns: SIGTERM, wait, then SIGKILL. Returns the pids it saw. */
export async function killNetnsProcesses(ns: string, graceMs = 3000): Promise<number[]> {
  const seen = new Set<number>();
  const signalAll = async (signal: NodeJS.Signals): Promise<boolean> => {
    const pids = await netnsPids(ns);
    for (const p of pids) {
      // sshd may fork a session child while we wait: it gets the signal too
      if (!seen.has(p) || signal === 'SIGKILL') signalPid(p, signal);
      seen.add(p);
    }
    return pids.length === 0;
  };
  if (await signalAll('SIGTERM')) return [];
  try {
    await waitUntil(() => signalAll('SIGTERM'), graceMs, () => `processes left in ${ns}`, 20);
  } catch {
    await waitUntil(() => signalAll('SIGKILL'), 5000, () => `processes in ${ns} survive SIGKILL`, 20);
  }
  // our own children (anchor, sshd) are reaped by Node: wait for that, so no zombie of ours remains
  await Promise.all([...seen].map((p) => waitPidGone(p, 1000)));
  return [...seen];
}

/** Remove everything of instance index k: processes, veths, namespaces, bridge, and the name's base dir. */
export async function teardownIndex(index: number, name: string): Promise<void> {
  const namespaces = await listNetns(new RegExp(`^pmx${index}h\\d+$`));
  await Promise.all(namespaces.map((ns) => killNetnsProcesses(ns)));
  // deleting the veth removes both ends at once; `ip netns del` alone frees eth0 asynchronously
  const veths = await listLinks(new RegExp(`^pmx${index}v\\d+$`));
  await Promise.all(veths.map((v) => deleteLink(v)));
  await Promise.all(namespaces.map((ns) => deleteNetns(ns)));
  await rm(baseDirFor(name), { recursive: true, force: true });
  await deleteLink(`pmxb${index}`); // last: while the bridge exists, index k stays claimed
}

/** Remove what an interrupted earlier run of instance `name` left; throws if another live process owns it. */
export function cleanupStale(name: string): Promise<void> {
  return withMachineLock(() => cleanupStaleLocked(name));
}

/** cleanupStale for a caller already holding the machine lock. */
export async function cleanupStaleLocked(name: string): Promise<void> {
  validateName(name);
  for (const inst of await listInstances()) {
    if (inst.owner?.name !== name) continue;
    if (ownerAlive(inst.owner) && inst.owner.pid !== process.pid) {
      throw new Error(
        `SSH test hosts "${name}" are in use by live pid ${inst.owner.pid} (bridge ${inst.bridge}); pick another name`,
      );
    }
    await teardownIndex(inst.index, name);
  }
  await rm(baseDirFor(name), { recursive: true, force: true });
}

/** The first of name, name-2, name-3, ... that no other live process owns; call under the machine lock. */
export async function freeNameLocked(name: string): Promise<string> {
  const busy = new Set<string>();
  for (const { owner } of await listInstances()) {
    if (owner && owner.pid !== process.pid && ownerAlive(owner)) busy.add(owner.name);
  }
  let candidate = name;
  for (let n = 2; busy.has(candidate); n++) candidate = `${name}-${n}`;
  validateName(candidate);
  return candidate;
}

/** Remove instances of any name whose creating process is gone (killed test workers); hold the machine lock. */
export async function reapOrphansLocked(): Promise<string[]> {
  const reaped: string[] = [];
  for (const inst of await listInstances()) {
    if (inst.owner === null || ownerAlive(inst.owner)) continue; // no alias yet: being created right now
    await teardownIndex(inst.index, inst.owner.name);
    reaped.push(inst.owner.name);
  }
  return reaped;
}

// The hosts of one deploy environment, each behind the one SSH connection deploy would use, and
// work run on all of them at once: a host that cannot be reached is a result saying why, never an
// error that hides the other hosts.
import { PmxError } from '../../agent/protocol/errors.js';
import { mapBounded } from '../shared/bounded.js';
import { remotePaths } from '../deploy/remote-paths.js';
import type { SecretMask } from '../deploy/secret-mask.js';
import type { DeployEnvironment } from '../deploy/types.js';
import type { HostTarget } from '../transport/host-target.js';
import { errorLine } from '../output/errors.js';
import { jumpHostsOfRun, openConnection } from '../transport/ssh-connection.js';
import { TransportError, type RemoteConnection } from '../transport/types.js';
import { readHeldMask } from './held-secrets.js';

/** What happened on one host: its value, or why there is none (the host did not answer, or its pmx failed). */
export type HostResult<T> = { host: string; ok: true; value: T } | { host: string; ok: false; failure: HostFailureKind; reason: string };

/** `unreachable`: no SSH connection, or it was lost; `error`: the host answered but the work failed there. */
export type HostFailureKind = 'unreachable' | 'error';

/** One host of the fleet: connected, or the reason it is not. */
export type FleetHost = { host: string; connection: RemoteConnection } | { host: string; connection: null; reason: string };

/** The connected environment. */
export interface Fleet {
  environment: DeployEnvironment;
  /** The `current` link of the environment's path: where pmx runs on each host. */
  current: string;
  hosts: FleetHost[];
  /** The secret values the hosts hold: what a fleet command shows of a host's output goes out with them masked. */
  mask: SecretMask;
  /** The hosts whose secrets could not be read (their output is shown unmasked), one line each. */
  warnings: string[];
}

/** Opens a connection to every host of the environment at once (bounded by its `parallel`), and reads the secrets each holds; hosts behind one jump host share the connection to it. */
export async function openFleet(environment: DeployEnvironment, connect?: (target: HostTarget) => Promise<RemoteConnection>): Promise<Fleet> {
  const jumps = jumpHostsOfRun();
  connect ??= (target) => openConnection(target, { jumps });
  const targets = environment.hosts;
  const settled = await mapBounded(targets, environment.parallel, (target) => connect(target));
  const hosts = settled.map((result, index): FleetHost => {
    const host = targets[index]!.label;
    return result.ok ? { host, connection: result.value } : { host, connection: null, reason: reasonOf(result.error, targets[index]!) };
  });
  const paths = remotePaths(environment.path);
  const { mask, warnings } = await readHeldMask(paths, hosts.flatMap(({ host, connection }) => (connection ? [{ host, connection }] : [])));
  return { environment, current: paths.current, hosts, mask, warnings };
}

/** Closes every connection. */
export async function closeFleet(fleet: Fleet): Promise<void> {
  await Promise.all(fleet.hosts.map((host) => host.connection?.close()));
}

/** Runs `work` on every connected host at once; one result per host, in the environment's order. */
export async function onEveryHost<T>(fleet: Fleet, work: (connection: RemoteConnection, host: string) => Promise<T>): Promise<HostResult<T>[]> {
  return Promise.all(
    fleet.hosts.map(async (entry): Promise<HostResult<T>> => {
      if (!entry.connection) return { host: entry.host, ok: false, failure: 'unreachable', reason: entry.reason };
      try {
        return { host: entry.host, ok: true, value: await work(entry.connection, entry.host) };
      } catch (error) {
        return { host: entry.host, ok: false, failure: error instanceof TransportError ? 'unreachable' : 'error', reason: reasonOf(error, entry.connection.target) };
      }
    }),
  );
}

/** Results as shown: each value through `show`, each reason masked; the host names stay as they are (pmx's own words). */
export function shownResults<T>(results: readonly HostResult<T>[], mask: SecretMask, show: (value: T) => T = (value) => mask.deep(value)): HostResult<T>[] {
  return results.map((result) => (result.ok ? { ...result, value: show(result.value) } : { ...result, reason: mask.apply(result.reason) }));
}

/** Why a host failed: the output names the host, so an error about that host is said without it. */
function reasonOf(error: unknown, target: HostTarget): string {
  return error instanceof PmxError && error.host === target.label ? error.message : errorLine(error);
}

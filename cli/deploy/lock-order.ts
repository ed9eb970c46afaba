// With lock_timeout, two runs on the same hosts must not each take some of the hosts' locks and
// wait for the others' (each would wait its whole lock_timeout, then fail, having deployed
// nothing). So, as with any set of locks, they are taken in one order, the same for every run of
// every environment: by host name and port. A host starts taking its lock once every host before it
// has taken its own or given up, and the flow starts the hosts in that order (with `parallel`, a
// host never waits for one that has not started). Without lock_timeout a busy lock is refused at
// once: no order needed, and every host locks at once.
import type { HostTarget } from '../transport/host-target.js';

/** The turns of a run's hosts at taking their locks. */
export class LockOrder {
  private readonly settled = new Map<string, { promise: Promise<void>; resolve: () => void }>();

  private readonly labels: readonly string[];

  constructor(hosts: readonly HostTarget[]) {
    this.labels = [...hosts].sort((a, b) => compare(keyOf(a), keyOf(b))).map((host) => host.label);
    for (const label of this.labels) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((done) => (resolve = done));
      this.settled.set(label, { promise, resolve });
    }
  }

  /** Resolves once every host before `label` has taken its lock or given up. */
  async turn(label: string): Promise<void> {
    const index = this.labels.indexOf(label);
    if (index > 0) await this.settled.get(this.labels[index - 1]!)!.promise;
  }

  /** `items` (hosts' slots, by their label) in the order their locks are taken. */
  sorted<T extends { label: string }>(items: readonly T[]): T[] {
    return [...items].sort((a, b) => this.labels.indexOf(a.label) - this.labels.indexOf(b.label));
  }

  /** `label` holds its lock, or will not (refused, unreachable, interrupted): the next host's turn; idempotent. */
  done(label: string): void {
    this.settled.get(label)?.resolve();
  }
}

/** What names a host's deploy path the same in every environment: its name and port. */
function keyOf(host: HostTarget): string {
  return `${host.hostname}:${String(host.port).padStart(5, '0')}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// With lock_timeout, two runs on the same hosts must not each take some of the hosts' locks and
// wait for the others' (each would wait its whole lock_timeout, then fail, having deployed
// nothing). So, as with any set of locks, they are taken in one order: a host starts taking its
// lock once every host before it (in the environment's order, which every run of it shares) has
// taken its own or given up. Without lock_timeout a busy lock is refused at once: no order needed,
// and every host locks at once.

/** The turns of a run's hosts at taking their locks. */
export class LockOrder {
  private readonly settled = new Map<string, { promise: Promise<void>; resolve: () => void }>();

  constructor(private readonly labels: readonly string[]) {
    for (const label of labels) {
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

  /** `label` holds its lock, or will not (refused, unreachable, interrupted): the next host's turn; idempotent. */
  done(label: string): void {
    this.settled.get(label)?.resolve();
  }
}

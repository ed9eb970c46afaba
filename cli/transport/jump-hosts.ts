// Jump hosts (ProxyJump) shared by the connections of one run: every host behind the same bastion
// goes through one SSH connection to it, opened by the first host that needs it and closed when
// the last host using it closes. A bastion then sees one login per run, not one per host.
import type { HostTarget } from './host-target.js';

/** What the pool needs of a connection to a jump host. */
export interface JumpConnection {
  /** False once the connection closed or was lost: the next host opens a new one. */
  readonly usable: boolean;
  close(): Promise<void>;
}

/** A use of a shared jump connection; `release` (once) closes it when no other host uses it. */
export interface JumpLease<C extends JumpConnection> {
  connection: C;
  release(): Promise<void>;
}

interface Shared<C> {
  opening: Promise<C>;
  users: number;
}

/** The jump connections of one run, keyed by everything that makes a connection (address, user, keys, known_hosts, its own jumps). */
export class JumpHosts<C extends JumpConnection = JumpConnection> {
  private readonly shared = new Map<string, Shared<C>>();

  /** The open connection to `jump`, or a new one from `open`; rejects as `open` does. */
  async acquire(jump: HostTarget, open: () => Promise<C>): Promise<JumpLease<C>> {
    const key = JSON.stringify(jump);
    let entry = this.shared.get(key);
    if (entry && (await settledUsable(entry.opening)) === false && this.shared.get(key) === entry) this.shared.delete(key);
    entry = this.shared.get(key);
    if (!entry) {
      const fresh: Shared<C> = { opening: open(), users: 0 };
      entry = fresh;
      this.shared.set(key, fresh);
      // a failed attempt is not kept: the next host tries again
      fresh.opening.catch(() => {
        if (this.shared.get(key) === fresh) this.shared.delete(key);
      });
    }
    const current = entry;
    current.users++;
    let connection: C;
    try {
      connection = await current.opening;
    } catch (error) {
      current.users--;
      throw error;
    }
    let released = false;
    return {
      connection,
      release: async () => {
        if (released) return;
        released = true;
        if (--current.users > 0) return;
        if (this.shared.get(key) === current) this.shared.delete(key);
        await connection.close();
      },
    };
  }
}

// whether a connection being opened ended up usable (false when it failed or has closed since)
async function settledUsable<C extends JumpConnection>(opening: Promise<C>): Promise<boolean> {
  try {
    return (await opening).usable;
  } catch {
    return false;
  }
}

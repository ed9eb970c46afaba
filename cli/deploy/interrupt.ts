// An interrupt of a run (Ctrl-C, SIGTERM): the first one asks the run to stop where it safely can
// (before publish: undo and unlock; after: finish the hosts that switched); the run describes what
// a quit at once would leave, for the second one.
import { setMaxListeners } from 'node:events';

/** The interrupt of one run; the command line requests it, the flow reacts to it. */
export class Interruption {
  private readonly controller = new AbortController();
  private signalName: string | null = null;
  private describe: () => string[] = () => [];
  private cleanup: () => void = () => undefined;

  constructor() {
    // every host's login and commands listen to it at once: 50 hosts are not a listener leak
    setMaxListeners(0, this.controller.signal);
  }

  /** Aborted on the first interrupt: the commands of interruptible phases stop. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The signal that interrupted the run (`SIGINT`, `SIGTERM`), or null. */
  get by(): string | null {
    return this.signalName;
  }

  /** The first interrupt; later calls change nothing. */
  request(signalName: string): void {
    if (this.signalName !== null) return;
    this.signalName = signalName;
    this.controller.abort(new Error(`interrupted (${signalName})`));
  }

  /** The flow says, at any moment, what each host would be left with if the process quit now. */
  describeLeftovers(describe: () => string[]): void {
    this.describe = describe;
  }

  /** One line per host that would be left with something half-done. */
  leftovers(): string[] {
    return this.describe();
  }

  /** What the run removes on this machine if the process quits at once (its local archive). */
  onQuit(cleanup: () => void): void {
    this.cleanup = cleanup;
  }

  /** The process quits at once (a second interrupt): the local leftovers go. */
  quitting(): void {
    try {
      this.cleanup();
    } catch {
      // quitting anyway
    }
  }
}

/** The exit code of a run ended by `signalName`, as a shell reports it (130 for SIGINT, 143 for SIGTERM). */
export function interruptedExitCode(signalName: string): number {
  return signalName === 'SIGTERM' ? 143 : signalName === 'SIGHUP' ? 129 : 130;
}
